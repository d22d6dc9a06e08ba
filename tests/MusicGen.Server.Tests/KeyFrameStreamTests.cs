using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Packaging;

namespace MusicGen.Server.Tests;

/// <summary>
/// The service with a package trained in C major / A minor (manifest <c>normalizedKeys</c>, as the default model
/// since version 6): a primer in D major comes back in D major, in the SSE note events as in the finished piece.
/// </summary>
public sealed class KeyFrameStreamTests
{
    [Fact]
    public async Task Streamed_notes_and_the_finished_piece_are_in_the_primers_key()
    {
        using var dir = new TempDir();
        var package = TestPackages.Write(Path.Combine(dir.Path, "framed"), "framed", "1", seed: 4);
        var manifestPath = Path.Combine(package, ModelManifest.FileName);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest["normalizedKeys"] = new JsonArray(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        File.WriteAllText(manifestPath, manifest.ToJsonString());

        int[] dMajor = [62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 64, 62];
        var primer = new Score { TicksPerQuarter = 480 };
        var track = new ScoreTrack();
        for (var i = 0; i < dMajor.Length; i++) track.Notes.Add(new Note(i * 480, (i + 1) * 480, 0, dMajor[i], 80));
        primer.Tracks.Add(track);

        await using var factory = new ServerFactory(dir.Path);
        using var client = await factory.ReadyClientAsync();
        using var msg = new HttpRequestMessage(HttpMethod.Post, "/v1/generate/stream")
        {
            Content = JsonContent.Create(new { tokens = 64, seed = 5, primer = Convert.ToBase64String(MidiScore.ToBytes(primer)) }),
        };
        var resp = await client.SendAsync(msg, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var events = await Sse.ReadAllAsync(await resp.Content.ReadAsStreamAsync());
        var done = events[^1];
        Assert.Equal("done", done.Event);

        var sent = events.Where(e => e.Event == "note").Select(e => e.Data.GetRawText()).Order().ToList();
        var final = done.Data.GetProperty("notes").EnumerateArray().Select(n => n.GetRawText()).Order().ToList();
        Assert.Equal(final, sent);                                   // each note once, and the piece's own
        var lastToken = events.FindLastIndex(e => e.Event == "token");
        Assert.True(events.FindIndex(e => e.Event == "note") < lastToken, "no note before the last token");
        var pitches = done.Data.GetProperty("notes").EnumerateArray().Select(n => n.GetProperty("pitch").GetInt32()).Take(dMajor.Length);
        Assert.Equal(dMajor, pitches);                               // the primer in D major, not the model's C major
    }
}
