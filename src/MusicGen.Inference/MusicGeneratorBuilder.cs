using Microsoft.Extensions.DependencyInjection;

namespace MusicGen.Inference;

/// <summary>
/// Builds an <see cref="IMusicGenerator"/> pipeline: an inner generator wrapped by decorators, in the style of
/// Microsoft.Extensions.AI's <c>ChatClientBuilder</c>. The first decorator added is the outermost:
/// <c>new MusicGeneratorBuilder(inner).UseLogging().UseOpenTelemetry().Build()</c> logs around the traced call.
/// </summary>
public sealed class MusicGeneratorBuilder
{
    private readonly Func<IServiceProvider, IMusicGenerator> _innerFactory;
    private readonly List<Func<IMusicGenerator, IServiceProvider, IMusicGenerator>> _decorators = [];

    /// <summary>A pipeline around <paramref name="innerGenerator"/>.</summary>
    public MusicGeneratorBuilder(IMusicGenerator innerGenerator)
    {
        ArgumentNullException.ThrowIfNull(innerGenerator);
        _innerFactory = _ => innerGenerator;
    }

    /// <summary>A pipeline around the generator <paramref name="innerFactory"/> makes when <see cref="Build"/> runs.</summary>
    public MusicGeneratorBuilder(Func<IServiceProvider, IMusicGenerator> innerFactory)
    {
        ArgumentNullException.ThrowIfNull(innerFactory);
        _innerFactory = innerFactory;
    }

    /// <summary>Adds a decorator (inside those added before it).</summary>
    public MusicGeneratorBuilder Use(Func<IMusicGenerator, IMusicGenerator> decorator)
    {
        ArgumentNullException.ThrowIfNull(decorator);
        return Use((inner, _) => decorator(inner));
    }

    /// <summary>Adds a decorator that takes services from the provider passed to <see cref="Build"/>.</summary>
    public MusicGeneratorBuilder Use(Func<IMusicGenerator, IServiceProvider, IMusicGenerator> decorator)
    {
        ArgumentNullException.ThrowIfNull(decorator);
        _decorators.Add(decorator);
        return this;
    }

    /// <summary>Makes the inner generator and wraps it, last decorator innermost.</summary>
    /// <param name="services">Services for the factories (an empty provider when null).</param>
    public IMusicGenerator Build(IServiceProvider? services = null)
    {
        services ??= EmptyServices.Instance;
        var generator = _innerFactory(services) ?? throw new InvalidOperationException("The inner generator factory returned null.");
        for (var i = _decorators.Count - 1; i >= 0; i--)
            generator = _decorators[i](generator, services) ?? throw new InvalidOperationException($"Decorator {i} of the {nameof(MusicGeneratorBuilder)} returned null.");
        return generator;
    }

    private sealed class EmptyServices : IServiceProvider, IKeyedServiceProvider
    {
        public static readonly EmptyServices Instance = new();
        public object? GetService(Type serviceType) => null;
        public object? GetKeyedService(Type serviceType, object? serviceKey) => null;
        public object GetRequiredKeyedService(Type serviceType, object? serviceKey) =>
            throw new InvalidOperationException($"No service of type {serviceType} (key {serviceKey}): {nameof(MusicGeneratorBuilder)}.{nameof(Build)} was given no service provider.");
    }
}
