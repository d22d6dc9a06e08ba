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
    /// <see cref="InferenceOptions.ModelPath"/>) with options validated when the host starts
    /// (<c>ValidateOnStart</c>). Returns the options builder, so configuration can be bound too, for example
    /// <c>services.AddMusicGeneration().BindConfiguration("MusicGen:Inference")</c>.
    /// </summary>
    public static OptionsBuilder<InferenceOptions> AddMusicGeneration(this IServiceCollection services, Action<InferenceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<InferenceOptions>();
        if (configure is not null) builder.Configure(configure);
        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InferenceOptions>, InferenceOptionsValidator>());
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<InferenceOptions>>().Value;
            var loggers = sp.GetService<ILoggerFactory>();
            return MusicGenerator.Create(options, loggers);
        });
        services.TryAddSingleton<IMusicGenerator>(sp => sp.GetRequiredService<MusicGenerator>());
        return builder;
    }
}
