using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Server.Tests;

/// <summary>The <c>key</c> option over HTTP and the CLI: a model with key tokens starts in the key asked for; one without them holds the key's scale and writes its signature; <c>chords</c> on a model without chord tokens answers 400 naming the option and the model.</summary>
public sealed class KeyOptionTests
{
    [Fact]
    public async Task A_key_is_honoured_by_a_model_with_key_tokens_and_held_by_one_without()
    {
        using var dir = new TempDir();
        TestPackages.Write(Path.Combine(dir.Path, "remi-keys"), "remi-keys", "1", seed: 3, context: 512,
            tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4, KeyTokens = true }));
        TestPackages.Write(Path.Combine(dir.Path, "remi-plain"), "remi-plain", "1", seed: 3, context: 512,
            tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4 }));
        await using var factory = new ServerFactory(dir.Path);
        var client = await factory.ReadyClientAsync();
        await ServerFactory.Until(async () => (await ServerFactory.ModelsAsync(client)).GetProperty("models").GetArrayLength() == 2, "both models to load");

        var ok = await client.PostAsJsonAsync("/v1/generate", new { model = "remi-keys", bars = 2, seed = 4, key = "D minor" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var midi = MidiScore.Read(await ok.Content.ReadAsByteArrayAsync());
        Assert.Equal(MusicalKey.Parse("D minor"), MusicalKey.FromSignature(midi.KeySignatures[0].SharpsFlats, midi.KeySignatures[0].IsMinor));

        var held = await client.PostAsJsonAsync("/v1/generate", new { model = "remi-plain", bars = 2, seed = 4, key = "D minor" });
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        var plainMidi = MidiScore.Read(await held.Content.ReadAsByteArrayAsync());
        Assert.Equal(new KeySignature(0, -1, true), Assert.Single(plainMidi.KeySignatures));
        var noChords = await client.PostAsJsonAsync("/v1/generate", new { model = "remi-keys", bars = 2, seed = 4, key = "D minor", chords = new[] { "Dm", "A7" } });
        Assert.Equal(HttpStatusCode.BadRequest, noChords.StatusCode);
        Assert.Contains("model 'remi-keys' has no chord tokens", (await noChords.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("chords")[0].GetString());

        // The CLI: --key on each package (the same option declaration).
        var file = Path.Combine(dir.Path, "song.mid");
        int Cli(string model) => MusicGen.Cli.Commands.GenerateCommands.Create()
            .Parse(["--model", Path.Combine(dir.Path, model), "--out", file, "--bars", "2", "--seed", "4", "--key", "D minor"]).Invoke();
        Assert.Equal(0, Cli("remi-keys"));
        Assert.Equal(midi.KeySignatures[0], MidiScore.Load(file).KeySignatures[0]);
        File.Delete(file);
        Assert.Equal(0, Cli("remi-plain"));
        Assert.Equal(plainMidi.KeySignatures[0], MidiScore.Load(file).KeySignatures[0]);
    }
}
