using Microsoft.Playwright;
using MusicGen.Audio;

namespace MusicGen.Server.Tests;

/// <summary>
/// The page plays the server's rendering (real Kestrel, real FluidSynth and SoundFont, Debian's Chromium): one
/// generation request (the stream), then Play sends the piece's MIDI from the stream's last event to POST /v1/render
/// (nothing is generated again), and the &lt;audio&gt; element plays that WAV. With
/// MUSICGEN_SCREENSHOT_AUDIO=path the page is saved as a PNG while it plays (docs/images/page-audio.png), and with
/// MUSICGEN_SCREENSHOT_MODELS=onnx it uses the bundled pop909-transformer instead of a tiny random-weight package.
/// </summary>
public sealed class BrowserAudioTests
{
    [Fact]
    public async Task Page_plays_the_rendered_wav_of_the_piece()
    {
        using var dir = new TempDir();
        var bundled = Environment.GetEnvironmentVariable("MUSICGEN_SCREENSHOT_MODELS") is { Length: > 0 } m ? Path.GetFullPath(m) : null;
        if (bundled is null) TestPackages.Write(Path.Combine(dir.Path, "tiny"), "tiny", "1", seed: 1);
        await using var factory = new ServerFactory(bundled ?? dir.Path, bundled is null ? null : new() { ["MusicGen:DefaultModel"] = "pop909-transformer" });
        factory.UseKestrelOnLoopback();
        factory.StartServer();
        var client = await factory.ReadyClientAsync();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await TestBrowser.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { AcceptDownloads = true });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        var posts = new List<string>();
        page.Request += (_, r) =>
        {
            if (r.Method == "POST") lock (posts) posts.Add(new Uri(r.Url).PathAndQuery);
        };
        await page.GotoAsync(client.BaseAddress!.ToString());
        await Assertions.Expect(page.Locator("#ready")).ToHaveTextAsync("ready");
        await Assertions.Expect(page.Locator("#audioMode")).ToHaveTextAsync("audio: FluidSynth (FluidR3_GM.sf2)");

        await page.FillAsync("#length", bundled is null ? "96" : "512");
        // The bundled model's seed 1 starts playing at once (several of its seeds open with a dozen empty bars).
        await page.FillAsync("#seed", bundled is null ? "42" : "1");
        // The sampling fields start empty: not sent, so the package's own sampling defaults apply.
        foreach (var field in new[] { "#temperature", "#topK", "#topP", "#repetitionPenalty" })
            await Assertions.Expect(page.Locator(field)).ToHaveValueAsync("");
        var generation = await page.RunAndWaitForRequestAsync(() => page.ClickAsync("#generate"), r => r.Url.EndsWith("/v1/generate/stream", StringComparison.Ordinal));
        var sent = System.Text.Json.JsonDocument.Parse(generation.PostData!).RootElement;
        Assert.False(sent.TryGetProperty("temperature", out _) || sent.TryGetProperty("topP", out _) || sent.TryGetProperty("topK", out _) || sent.TryGetProperty("repetitionPenalty", out _),
            $"the page sent sampling settings nobody chose: {sent}");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Done", new() { Timeout = 60_000 });
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download"));
        var midiPath = Path.Combine(dir.Path, "piece.mid");
        await download.SaveAsAsync(midiPath);

        var answer = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#play"),
            r => r.Url.EndsWith("/v1/render?format=wav", StringComparison.Ordinal) && r.Request.Method == "POST");
        // What the page sent to be rendered is the piece it generated and offers for download.
        Assert.Equal("audio/midi", answer.Request.Headers["content-type"]);
        Assert.Equal(await File.ReadAllBytesAsync(midiPath), answer.Request.PostDataBuffer);
        Assert.Equal(200, answer.Status);
        Assert.Equal("audio/wav", answer.Headers["content-type"]);
        // It plays: a blob source, not paused, time advancing, the length of the render.
        await page.WaitForFunctionAsync("() => { const a = document.getElementById('player'); return !a.hidden && a.src.startsWith('blob:') && !a.paused && a.currentTime > 0.2; }",
            null, new() { Timeout = 30_000 });
        // The WAV the element plays (its blob source, read back) is the library's render of the piece the page shows
        // and downloads.
        var wav = Convert.FromBase64String(await page.EvaluateAsync<string>("""
            async () => { const b = new Uint8Array(await (await fetch(document.getElementById('player').src)).arrayBuffer());
                          let s = ''; for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192)); return btoa(s); }
            """));
        var rendered = new MidiAudioRenderer().Render(await File.ReadAllBytesAsync(midiPath));
        Assert.Equal(rendered.Bytes, wav);
        var duration = await page.EvaluateAsync<double>("() => document.getElementById('player').duration");
        Assert.Equal(rendered.Duration.TotalSeconds, duration, 2);
        Assert.True(await page.EvaluateAsync<bool>("() => window.musicgenPlayback.rendered === true"));
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Playing the rendered audio");
        if (Environment.GetEnvironmentVariable("MUSICGEN_SCREENSHOT_AUDIO") is { Length: > 0 } shot)
            await page.ScreenshotAsync(new() { Path = shot, FullPage = true });

        // One generation request for the piece and its audio: the stream, then the render of its MIDI.
        lock (posts) Assert.Equal(["/v1/generate/stream", "/v1/render?format=wav"], posts);

        await page.ClickAsync("#stop", new() { Force = true });
        await Assertions.Expect(page.Locator("#stop")).ToBeDisabledAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => document.getElementById('player').paused"));
        Assert.Empty(errors);
    }
}
