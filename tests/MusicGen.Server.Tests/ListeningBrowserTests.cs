using System.Globalization;
using Microsoft.Playwright;
using MusicGen.Listening;

namespace MusicGen.Server.Tests;

/// <summary>
/// The blind listening test end to end: a real Kestrel, Debian's Chromium driven by Playwright answering a session of
/// 10 pairs on the page, the answers in the SQLite file, and <c>musicgen eval listening</c> reporting them.
/// </summary>
public sealed class ListeningBrowserTests
{
    [Fact]
    public async Task A_session_of_10_pairs_is_answered_on_the_page_stored_and_reported()
    {
        using var setup = new ListeningSetup(pairs: 10, seconds: 6);
        await using var factory = new ServerFactory(setup.ModelsPath, setup.Settings);
        factory.UseKestrelOnLoopback();
        factory.StartServer();
        var client = await factory.ReadyClientAsync();
        var baseUrl = client.BaseAddress!.ToString();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await TestBrowser.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        var downloads = 0;
        page.Download += (_, _) => downloads++;
        await page.GotoAsync(baseUrl + "listen.html");

        await Assertions.Expect(page.Locator("#shape")).ToContainTextAsync("10 pairs, each excerpt 6 seconds");
        await page.FillAsync("#listener", "alice");
        await page.ClickAsync("#start");
        await Assertions.Expect(page.Locator("#intro")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#done")).ToBeHiddenAsync();

        // The listener picks A on even pairs and B on odd ones (a fixed pattern, so the expected score comes from the
        // database's hidden assignment, not from the page).
        var picks = new List<char>();
        for (var i = 0; i < 10; i++)
        {
            await Assertions.Expect(page.Locator("#progress")).ToHaveTextAsync($"Pair {i + 1} of 10");
            await Assertions.Expect(page.Locator("#playA")).ToBeEnabledAsync(new() { Timeout = 60_000 });
            Assert.True(await page.Locator("#pickA").IsDisabledAsync(), "answering is possible before listening");
            var counts = await page.EvaluateAsync<int[]>("() => window.musicgenListening.clips.map(c => c.notes)");
            Assert.Equal(2, counts.Length);
            Assert.True(counts.Max() > 0, $"pair {i + 1}: neither clip has notes");
            await page.ClickAsync("#playA");
            await page.ClickAsync("#playB");
            if (i == 3 && Environment.GetEnvironmentVariable("MUSICGEN_LISTENING_SCREENSHOT") is { Length: > 0 } shot)
                await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
            var pick = i % 2 == 0 ? 'A' : 'B';
            picks.Add(pick);
            await page.ClickAsync(pick == 'A' ? "#pickA" : "#pickB");
        }
        await Assertions.Expect(page.Locator("#result")).ToContainTextAsync("of 10 pairs");
        await Assertions.Expect(page.Locator("#pair")).ToBeHiddenAsync();
        Assert.Empty(errors);
        Assert.Equal(0, downloads);

        // Stored in SQLite: one session by alice, 10 pairs in order, each answered as clicked, each served by the model.
        var db = await ListeningDatabase.OpenReadOnlyAsync(setup.DatabasePath, CancellationToken.None);
        var (sessions, pairs) = await db.ReadAllAsync(CancellationToken.None);
        var session = Assert.Single(sessions);
        Assert.Equal("alice", session.Listener);
        Assert.Equal(10, pairs.Count);
        Assert.Equal(picks, pairs.OrderBy(p => p.Position).Select(p => p.Choice!.Value));
        Assert.All(pairs, p => { Assert.Equal(ListeningSetup.Model, p.Model); Assert.Equal("1", p.ModelVersion); Assert.NotNull(p.AnsweredUtc); });
        var correct = pairs.Count(p => p.Choice == p.RealClip);
        Assert.InRange(pairs.Count(p => p.RealClip == 'A'), 5, 5); // the real clip is on each side in half of the pairs
        await Assertions.Expect(page.Locator("#result")).ToHaveTextAsync($"You picked the real excerpt in {correct} of 10 pairs.");

        // Reported by the CLI's own command.
        var (exit, output, error) = ListeningSetup.RunCli("eval", "listening", "--db", setup.DatabasePath);
        Assert.True(exit == 0, error);
        var expected = Proportion.Of(correct, 10);
        var ci = CultureInfo.InvariantCulture;
        var interval = $"[{expected.Low.ToString("0.000", ci)}, {expected.High.ToString("0.000", ci)}]";
        var modelRow = output.Split('\n').Single(l => l.StartsWith(ListeningSetup.Model + " ", StringComparison.Ordinal));
        Assert.Equal([ListeningSetup.Model, "1", "10", "10", correct.ToString(ci), expected.Estimate.ToString("0.000", ci), .. interval.Split(' '), expected.PValue.ToString("0.000", ci)],
            modelRow.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("1 sessions, 1 listeners, 10 pairs, 10 answered", output);
        Assert.Single(output.Split('\n'), l => l.StartsWith("alice ", StringComparison.Ordinal));
        Assert.Single(output.Split('\n'), l => l.StartsWith(session.Id[..8] + " ", StringComparison.Ordinal) && l.Contains(" alice ") && l.Contains(interval));
        if (Environment.GetEnvironmentVariable("MUSICGEN_LISTENING_REPORT") is { Length: > 0 } report)
        {
            await File.WriteAllTextAsync(report, output);
            File.Copy(setup.DatabasePath, report + ".db", overwrite: true);
        }
    }
}
