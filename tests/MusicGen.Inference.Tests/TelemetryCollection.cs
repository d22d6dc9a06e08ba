namespace MusicGen.Inference.Tests;

/// <summary>
/// The tests that create MusicGen meters and listen to them run alone, not beside other test classes: an
/// OpenTelemetry provider listens to every meter named MusicGen in the process, so another test's meter with the same
/// instrument names, ending while one test collects, can leave that test's points missing (seen once in a full CI
/// run: an empty histogram in A_generation_records_durations_token_usage_and_counters_by_outcome).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "MusicGen telemetry";
}
