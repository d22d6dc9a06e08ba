using MusicGen.Inference;
using MusicGen.Server.Models;
using MusicGen.Server.Telemetry;

namespace MusicGen.Server.Scheduling;

/// <summary>
/// What the service does at the loop's stages: a batch holds a reference on its model version (so the version
/// unloads only once its batch is gone), idle batches of versions no longer active are freed at once, steps and first
/// tokens are measured, and an optional observer from dependency injection (tests inject faults) is called too.
/// </summary>
internal sealed class ServiceObserver(ServerMetrics metrics, ModelRegistry registry, GenerationObserver? extra) : GenerationObserver
{
    public override void BatchOpening(MusicModel model)
    {
        extra?.BatchOpening(model);
        var version = registry.VersionOf(model);
        if (version is null || !version.TryAcquire(request: false))
            throw new InvalidOperationException($"model {model.Package.Name} {model.Package.Version} was unloaded");
    }

    public override void BatchClosed(MusicModel model)
    {
        registry.VersionOf(model)?.Release(request: false);
        extra?.BatchClosed(model);
    }

    public override bool KeepIdleBatch(MusicModel model) =>
        registry.VersionOf(model)?.State == VersionState.Active && (extra?.KeepIdleBatch(model) ?? true);

    public override void Admitting(MusicModel model, GenerationSequence sequence) => extra?.Admitting(model, sequence);

    public override void Stepping(MusicModel model, int rows) => extra?.Stepping(model, rows);

    public override void Stepped(MusicModel model, int rows, TimeSpan elapsed)
    {
        metrics.Step(model.Package.Name, rows, elapsed.TotalSeconds);
        extra?.Stepped(model, rows, elapsed);
    }

    public override void FirstToken(MusicModel model, TimeSpan sinceArrival)
    {
        metrics.FirstToken(model.Package.Name, sinceArrival.TotalSeconds);
        extra?.FirstToken(model, sinceArrival);
    }

    public override void Finishing(MusicModel model, GenerationSequence sequence) => extra?.Finishing(model, sequence);
}
