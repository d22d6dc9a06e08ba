namespace MusicGen.Inference;

/// <summary>
/// An <see cref="IMusicGenerator"/> that passes every call to an inner generator: the base of decorators (telemetry,
/// logging, a service's own policies) chained with <see cref="MusicGeneratorBuilder"/>. Override what the decorator
/// changes. Disposing it disposes the inner generator.
/// </summary>
public abstract class DelegatingMusicGenerator : IMusicGenerator, IDisposable
{
    /// <summary>Wraps <paramref name="innerGenerator"/>.</summary>
    protected DelegatingMusicGenerator(IMusicGenerator innerGenerator)
    {
        ArgumentNullException.ThrowIfNull(innerGenerator);
        InnerGenerator = innerGenerator;
    }

    /// <summary>The generator calls are passed to.</summary>
    protected IMusicGenerator InnerGenerator { get; }

    /// <inheritdoc />
    public virtual ModelPackage Package => InnerGenerator.Package;

    /// <inheritdoc />
    public virtual Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default) =>
        InnerGenerator.GenerateAsync(request, cancellationToken);

    /// <inheritdoc />
    public virtual IAsyncEnumerable<GenerationEvent> StreamAsync(GenerationRequest request, CancellationToken cancellationToken = default) =>
        InnerGenerator.StreamAsync(request, cancellationToken);

    /// <summary>This generator when it is a <paramref name="serviceType"/>, else what the inner generator gives.</summary>
    public virtual object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : InnerGenerator.GetService(serviceType, serviceKey);
    }

    /// <summary>Disposes the inner generator.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the inner generator when <paramref name="disposing"/>.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing && InnerGenerator is IDisposable inner) inner.Dispose();
    }
}
