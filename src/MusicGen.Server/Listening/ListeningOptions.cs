using System.ComponentModel.DataAnnotations;

namespace MusicGen.Server.Listening;

/// <summary>
/// The blind listening test (section <c>MusicGen:Listening</c>). Off while <see cref="RealMidiPath"/> is unset; when
/// set, every option is checked at start (the folder has MIDI files, the models have packages, the database is
/// writable) and the service refuses to start with a message that names the bad one.
/// </summary>
public sealed class ListeningOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "MusicGen:Listening";

    /// <summary>Folder of real MIDI files (<c>.mid</c>/<c>.midi</c>, searched recursively) the real excerpts are cut from. Unset = the test is off.</summary>
    public string? RealMidiPath { get; set; }

    /// <summary>Models whose pieces are played against the real ones (package names in the models folder); pairs are spread evenly over them.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>SQLite database the sessions, assignments and answers go to (created when missing).</summary>
    public string DatabasePath { get; set; } = "listening.db";

    /// <summary>Pairs in one session.</summary>
    [Range(1, 100)] public int PairsPerSession { get; set; } = 10;

    /// <summary>
    /// Length of every excerpt, real and generated, in seconds from its first note. Generated pieces are asked for
    /// this many seconds (the engine ends them at the next bar line), so it must fit the models' context.
    /// </summary>
    [Range(1.0, 120.0)] public double ExcerptSeconds { get; set; } = 20;

    /// <summary>True when the test is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(RealMidiPath);
}
