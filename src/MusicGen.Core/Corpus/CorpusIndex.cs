namespace MusicGen.Core.Corpus;

/// <summary>One document of the cache.</summary>
public sealed record CorpusDocument
{
    /// <summary>First token's index in <c>tokens.bin</c> (in tokens, not bytes).</summary>
    public long Offset { get; init; }

    /// <summary>Number of tokens.</summary>
    public int Length { get; init; }

    /// <summary>Source file relative to the input (or <c>split/index</c> for JSB).</summary>
    public string Source { get; init; } = "";

    /// <summary><c>train</c>, <c>valid</c> or <c>test</c>.</summary>
    public string Split { get; init; } = "";

    /// <summary>What augmentation made this copy; null for an original.</summary>
    public string? Augmentation { get; init; }

    /// <summary>Seconds of music (last note end through the tempo map; JSB at 120 BPM).</summary>
    public double Seconds { get; init; }

    /// <summary>Semitones the piece was moved to C major / A minor before augmentation; null when keys were not normalized.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? KeyShift { get; init; }
}

/// <summary>A source that could not be used, and why.</summary>
public sealed record SkippedSource(string Source, string Error);

/// <summary>Totals of a built corpus.</summary>
public sealed record CorpusSummary
{
    /// <summary>Source pieces found (files, or JSB pieces).</summary>
    public int Sources { get; init; }

    /// <summary>Sources skipped (unreadable or without notes); listed in the index.</summary>
    public int Skipped { get; init; }

    /// <summary>Documents written (originals and augmented copies).</summary>
    public int Documents { get; init; }

    /// <summary>Tokens per split.</summary>
    public Dictionary<string, long> Tokens { get; init; } = [];

    /// <summary>Documents per split.</summary>
    public Dictionary<string, int> DocumentsPerSplit { get; init; } = [];

    /// <summary>Tokens of original (not augmented) documents.</summary>
    public long OriginalTokens { get; init; }

    /// <summary>Seconds of music of original documents.</summary>
    public double OriginalSeconds { get; init; }

    /// <summary>Tokens per second of music over the originals.</summary>
    public double TokensPerSecond => OriginalSeconds > 0 ? OriginalTokens / OriginalSeconds : 0;

    /// <summary>Distinct token ids used anywhere.</summary>
    public int VocabularyUsed { get; init; }

    /// <summary>Vocabulary size.</summary>
    public int VocabularySize { get; init; }

    /// <summary>Build time in seconds.</summary>
    public double ElapsedSeconds { get; init; }
}

/// <summary>The content of <c>index.json</c>.</summary>
public sealed record CorpusIndex
{
    /// <summary>Format version (1).</summary>
    public int FormatVersion { get; init; } = 1;

    /// <summary>Tokenizer kind (the full configuration is in <c>tokenizer.json</c>).</summary>
    public string Tokenizer { get; init; } = "";

    /// <summary>The input path as given.</summary>
    public string Input { get; init; } = "";

    /// <summary>Seed of split and augmentation.</summary>
    public ulong Seed { get; init; }

    /// <summary>Share of files in the valid split.</summary>
    public double ValidFraction { get; init; }

    /// <summary>Augmentation settings.</summary>
    public AugmentationOptions Augmentation { get; init; } = new();

    /// <summary>Whether pieces were moved to C major / A minor (<see cref="CorpusBuildOptions.NormalizeKey"/>).</summary>
    public bool NormalizeKey { get; init; }

    /// <summary>Totals.</summary>
    public CorpusSummary Summary { get; init; } = new();

    /// <summary>Documents in <c>tokens.bin</c> order.</summary>
    public List<CorpusDocument> Documents { get; init; } = [];

    /// <summary>Sources skipped and why.</summary>
    public List<SkippedSource> Skipped { get; init; } = [];
}
