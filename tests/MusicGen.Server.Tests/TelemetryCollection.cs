namespace MusicGen.Server.Tests;

/// <summary>
/// The telemetry tests run alone, not beside other test classes: every test host makes meters named MusicGen and an
/// OpenTelemetry provider listens to all of them in the process, so another host's meter ending while a test
/// collects can leave that test's points missing (seen once in the library's own telemetry tests).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "MusicGen telemetry";
}
