using MusicGen.Core.Packaging;

namespace MusicGen.Inference.Errors;

/// <summary>No model package by the path or name given; <see cref="Tried"/> lists where it was looked for.</summary>
public sealed class ModelNotFoundException : DirectoryNotFoundException
{
    /// <summary>Creates the exception for <paramref name="model"/> and the folders tried.</summary>
    public ModelNotFoundException(string model, IReadOnlyList<string> tried)
        : base($"No model package '{model}' (a folder with {ModelManifest.FileName}); looked in: {string.Join(", ", tried)}. " +
               $"Give a package folder, --models <folder>, or set {ModelLocator.EnvironmentVariable}.")
    {
        Model = model;
        Tried = tried;
    }

    /// <summary>The path or name asked for.</summary>
    public string Model { get; }

    /// <summary>The folders looked at, in order.</summary>
    public IReadOnlyList<string> Tried { get; }
}
