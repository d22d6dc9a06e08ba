using System.Net.Http.Json;
using Microsoft.Playwright;

namespace MusicGen.Server.Tests;

/// <summary>
/// The web page end to end: a real Kestrel on 127.0.0.1 (random port) and Debian's Chromium driven by Playwright:
/// pick a model, Generate, the piano roll fills as notes stream in, Play schedules Web Audio notes (the server has no
/// SoundFont here, so the page uses its own synth), and the download link holds a MIDI file.
/// </summary>
public sealed class BrowserTests
{
    [Fact]
    public async Task Page_generates_draws_plays_and_downloads()
    {
        using var dir = new TempDir();
        TestPackages.Write(Path.Combine(dir.Path, "tiny"), "tiny", "1", seed: 1);
        // No SoundFont: the page falls back to its own synth (BrowserAudioTests plays the server's rendering).
        await using var factory = new ServerFactory(dir.Path, new() { ["MusicGen:Audio:SoundFontPath"] = "/nonexistent/FluidR3_GM.sf2" });
        factory.UseKestrelOnLoopback();
        factory.StartServer();
        var client = await factory.ReadyClientAsync();
        var baseUrl = client.BaseAddress!.ToString();
        Assert.StartsWith("http://127.0.0.1:", baseUrl);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await TestBrowser.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { AcceptDownloads = true });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(baseUrl);

        await Assertions.Expect(page.Locator("#ready")).ToHaveTextAsync("ready");
        await Assertions.Expect(page.Locator("#model option")).ToHaveCountAsync(1);
        Assert.Equal("tiny", await page.Locator("#model").InputValueAsync());
        await Assertions.Expect(page.Locator("#audioMode")).ToHaveTextAsync("audio: browser synth");

        // Every generation option of the API has a control (the page builds the missing ones from /v1/options).
        var options = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/options");
        foreach (var o in options.EnumerateArray())
        {
            var name = o.GetProperty("name").GetString();
            await Assertions.Expect(page.Locator($"[data-option~='{name}']").First).ToBeAttachedAsync(); // no control for this option fails here
        }

        await page.FillAsync("#length", "96");
        await page.FillAsync("#seed", "42");
        await page.ClickAsync("#generate");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Done", new() { Timeout = 60_000 });

        var notes = int.Parse(await page.Locator("#noteCount").InnerTextAsync());
        Assert.True(notes > 0, "no notes drawn");
        // The piano roll has note-coloured pixels.
        var painted = await page.EvaluateAsync<int>("""
            () => { const c = document.getElementById('roll'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 120 && d[i] > d[i + 2] + 60) n++; return n; }
            """);
        Assert.True(painted > 20, $"piano roll has {painted} note pixels");
        if (Environment.GetEnvironmentVariable("MUSICGEN_SCREENSHOT") is { Length: > 0 } shot) await page.ScreenshotAsync(new() { Path = shot, FullPage = true });

        await page.ClickAsync("#play");
        var scheduled = await page.EvaluateAsync<int>("() => window.musicgenPlayback.scheduled");
        Assert.Equal(notes, scheduled);
        // Stop: forced, because a short piece may finish playing (disabling Stop) before a loaded machine gets here;
        // either way playback must end with Stop disabled.
        await page.ClickAsync("#stop", new() { Force = true });
        await Assertions.Expect(page.Locator("#stop")).ToBeDisabledAsync();

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download"));
        var path = Path.Combine(dir.Path, "download.mid");
        await download.SaveAsAsync(path);
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.NotNull(MusicGen.Core.Midi.MidiFile.Read(bytes));
        Assert.Empty(errors);

        // A bad setting shows the ProblemDetails message instead of failing silently.
        await page.FillAsync("#topP", "1.5");
        await page.ClickAsync("#generate");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("topP");
    }
}
