using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MusicGen.Inference;

/// <summary>Registers the inference engine with dependency injection.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IMusicGenerator"/> (a singleton <see cref="MusicGenerator"/> serving the package at
    /// <see cref="InferenceOptions.ModelPath"/>, traced with <c>UseOpenTelemetry()</c>) with options validated when the
    /// host starts (<c>ValidateOnStart</c>). Returns the options builder, so configuration can be bound too, for
    /// example <c>services.AddMusicGeneration().BindConfiguration("MusicGen:Inference")</c>. For several models, or a
    /// pipeline of your own, use <see cref="AddKeyedMusicGenerator(IServiceCollection, string, Action{InferenceOptions}?)"/>.
    /// </summary>
    public static OptionsBuilder<InferenceOptions> AddMusicGeneration(this IServiceCollection services, Action<InferenceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = AddInferenceOptions(services, Options.DefaultName, configure);
        services.TryAddSingleton(sp => CreateGenerator(sp, Options.DefaultName));
        services.TryAddSingleton<IMusicGenerator>(sp =>
            new MusicGeneratorBuilder(sp.GetRequiredService<MusicGenerator>()).UseOpenTelemetry().Build(sp));
        return builder;
    }

    /// <summary>
    /// Adds an <see cref="IMusicGenerator"/> keyed <paramref name="serviceKey"/> (inject it with
    /// <c>[FromKeyedServices("pop")]</c> or <c>GetRequiredKeyedService&lt;IMusicGenerator&gt;("pop")</c>): a
    /// <see cref="MusicGenerator"/> over the package its own options name, those options being the named options
    /// <paramref name="serviceKey"/> (so <c>services.Configure&lt;InferenceOptions&gt;("pop", section)</c> binds them
    /// too), validated when the host starts. Returns the builder to add decorators:
    /// <c>services.AddKeyedMusicGenerator("pop", o =&gt; o.ModelPath = "onnx/pop909-transformer").UseLogging().UseOpenTelemetry()</c>.
    /// </summary>
    public static MusicGeneratorBuilder AddKeyedMusicGenerator(this IServiceCollection services, string serviceKey, Action<InferenceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceKey);
        AddInferenceOptions(services, serviceKey, configure);
        return services.AddKeyedMusicGenerator(serviceKey, sp => CreateGenerator(sp, serviceKey));
    }

    /// <summary>
    /// Adds an <see cref="IMusicGenerator"/> keyed <paramref name="serviceKey"/> (a singleton), made by
    /// <paramref name="innerFactory"/> and wrapped by the decorators added to the returned builder.
    /// </summary>
    public static MusicGeneratorBuilder AddKeyedMusicGenerator(this IServiceCollection services, object serviceKey, Func<IServiceProvider, IMusicGenerator> innerFactory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentNullException.ThrowIfNull(innerFactory);
        var builder = new MusicGeneratorBuilder(innerFactory);
        services.AddKeyedSingleton(serviceKey, (sp, _) => builder.Build(sp));
        return builder;
    }

    private static OptionsBuilder<InferenceOptions> AddInferenceOptions(IServiceCollection services, string name, Action<InferenceOptions>? configure)
    {
        var builder = services.AddOptions<InferenceOptions>(name);
        if (configure is not null) builder.Configure(configure);
        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InferenceOptions>, InferenceOptionsValidator>());
        return builder;
    }

    private static MusicGenerator CreateGenerator(IServiceProvider services, string optionsName) =>
        MusicGenerator.Create(services.GetRequiredService<IOptionsMonitor<InferenceOptions>>().Get(optionsName), services.GetService<ILoggerFactory>());
}
