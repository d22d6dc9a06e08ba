using Microsoft.Extensions.Options;
using MusicGen.Core.Music;
using MusicGen.Inference;
using MusicGen.Server.Api;
using MusicGen.Server.Models;
using MusicGen.Server.Scheduling;

namespace MusicGen.Server.Listening;

/// <summary>The model named has no active version (not loaded yet, or its package was removed).</summary>
internal sealed class ModelUnavailableException(string model) : Exception($"model '{model}' has no active version yet")
{
    public string Model { get; } = model;
}

/// <summary>
/// Generates the listening test's pieces through the service's own path: the request defaults and checks of
/// <c>POST /v1/generate</c> (<see cref="GenerationRequest.Check"/>), the active model version from the registry, and a job
/// in the shared <see cref="GenerationScheduler"/> (so listening sessions queue and batch with API requests).
/// </summary>
internal sealed class ListeningGenerator(ModelRegistry registry, GenerationScheduler scheduler, IOptions<ServerOptions> options)
{
    /// <summary>
    /// Generates at least <paramref name="seconds"/> seconds (the engine ends at the bar line at or after them) with
    /// <paramref name="model"/> and <paramref name="seed"/>; returns the score and the version that made it.
    /// </summary>
    public async Task<(Score Score, string Version)> GenerateAsync(string model, double seconds, long seed, CancellationToken cancel)
    {
        var o = options.Value;
        var request = new GenerationRequest { Seconds = seconds, Seed = seed };
        var errors = request.Check(o.MaxTokens);
        if (errors.Count > 0)
            throw new InvalidOperationException("listening generation request is invalid: " + string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value}")));

        var version = registry.AcquireActive(model) ?? throw new ModelUnavailableException(model);
        ServiceJob job;
        try
        {
            var limit = Math.Min(o.MaxTokens, version.Description.ContextLength);
            request.MaxTokens = limit;
            var sequence = version.Model.CreateSequence(request);
            job = scheduler.Submit(version, sequence, cancel);
        }
        catch
        {
            version.Release();
            throw;
        }

        // From here the job holds the version reference and gives it back when disposed (the job always ends).
        using (job)
        {
            var (result, error) = await job.EndAsync();
            if (error is not null) throw error;
            return (result!.Score, version.Version);
        }
    }
}
