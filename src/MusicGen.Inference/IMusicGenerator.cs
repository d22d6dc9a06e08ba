namespace MusicGen.Inference;

/// <summary>
/// Generates music with a loaded model. Safe for concurrent callers: requests are decoded together in one batch
/// (continuous batching), each with its own seeded sampler, so a result depends only on its own request.
/// </summary>
public interface IMusicGenerator
{
    /// <summary>The model package this generator serves.</summary>
    ModelPackage Package { get; }

    /// <summary>Generates one piece.</summary>
    /// <exception cref="ArgumentException">The request is invalid; the message names the field.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (the request's batch slot is freed within one step).</exception>
    Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Generates one piece, reporting each token as it is made, each note once it is complete, and finally the
    /// result (<see cref="GenerationEventKind.Completed"/>). Stopping the enumeration cancels the generation.
    /// </summary>
    IAsyncEnumerable<GenerationEvent> StreamAsync(GenerationRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// An object of type <paramref name="serviceType"/> this generator holds or is (for example the
    /// <see cref="MusicGenerator"/> inside a chain of <see cref="DelegatingMusicGenerator"/>s), or null.
    /// </summary>
    object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
    }
}
