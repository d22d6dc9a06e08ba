using MusicGen.Core.Packaging;
using MusicGen.Inference.Errors;

namespace MusicGen.Inference;

/// <summary>
/// Finds model packages from anywhere, the same way for the CLI and the service. A model given as a path to a package
/// folder is used as is; a bare name (<c>pop909-transformer</c>) is looked for in these models folders, in order:
/// the configured one (CLI <c>--models</c>, service <c>ModelsPath</c>), <c>$MUSICGEN_MODELS</c>, <c>./onnx</c>
/// (from inside a checkout: the repository's <c>onnx/</c>), and the <c>onnx/</c> beside the executable.
/// </summary>
public static class ModelLocator
{
    /// <summary>Environment variable naming a models folder.</summary>
    public const string EnvironmentVariable = "MUSICGEN_MODELS";

    /// <summary>Name of the default models folder (in the working directory, or beside the executable).</summary>
    public const string DefaultFolderName = "onnx";

    /// <summary>
    /// The models folders to search, in order, as full paths without duplicates (they need not exist):
    /// <paramref name="configured"/> (when given), <c>$MUSICGEN_MODELS</c> (when set), <c>./onnx</c>, and <c>onnx/</c>
    /// beside the executable. A relative folder is the working directory's, or the nearest one above it up to the
    /// repository root (so <c>dotnet run --project src/...</c> inside the checkout finds the repository's <c>onnx/</c>).
    /// </summary>
    public static IReadOnlyList<string> SearchFolders(string? configured = null)
    {
        var folders = new List<string>();
        void Add(string? path)
        {
            if (string.IsNullOrWhiteSpace(path)) return;
            var full = FullPath(path);
            if (!folders.Contains(full, StringComparer.Ordinal)) folders.Add(full);
        }
        Add(configured);
        Add(Environment.GetEnvironmentVariable(EnvironmentVariable));
        Add(DefaultFolderName);
        Add(Path.Combine(AppContext.BaseDirectory, DefaultFolderName));
        return folders;
    }

    /// <summary>
    /// The models folder a service serves and watches: <paramref name="configured"/> when given (relative: from the
    /// working directory, or the nearest folder above it in the checkout that has it), else the first of
    /// <see cref="SearchFolders"/> that holds at least one package (a folder with <c>musicgen.json</c>). Null when the
    /// folder holds no package; <paramref name="tried"/> lists every folder looked at (at least one).
    /// </summary>
    public static string? FindModelsFolder(string? configured, out IReadOnlyList<string> tried)
    {
        tried = string.IsNullOrWhiteSpace(configured) ? SearchFolders() : [FullPath(configured)];
        return tried.FirstOrDefault(HoldsPackages);
    }

    /// <summary>
    /// The models folder a service serves and watches: <see cref="FindModelsFolder"/>'s, or, when none holds a package
    /// (<paramref name="found"/> false), the first folder tried, watched until one appears there.
    /// </summary>
    public static string ServiceModelsFolder(string? configured, out IReadOnlyList<string> tried, out bool found)
    {
        var folder = FindModelsFolder(configured, out tried);
        found = folder is not null;
        return folder ?? tried[0];
    }

    /// <summary>
    /// The package folder for <paramref name="model"/>: a path to a package folder as is, else a bare name looked
    /// for in <see cref="SearchFolders"/>.
    /// </summary>
    /// <exception cref="ModelNotFoundException">No package folder by that path or name; the message lists the paths tried.</exception>
    public static string ResolvePackage(string model, string? modelsFolder = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        var tried = new List<string>();
        if (Directory.Exists(model) && IsPackage(model)) return Path.GetFullPath(model);
        tried.Add(Path.GetFullPath(model));
        if (!IsBareName(model))
        {
            // onnx/<name> from elsewhere: the name part is still a name.
            var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(model));
            if (string.IsNullOrEmpty(name) || Directory.Exists(model)) throw new ModelNotFoundException(model, tried);
            model = name;
        }
        foreach (var folder in SearchFolders(modelsFolder))
        {
            var candidate = Path.Combine(folder, model);
            if (IsPackage(candidate)) return candidate;
            if (!tried.Contains(candidate, StringComparer.Ordinal)) tried.Add(candidate);
        }
        throw new ModelNotFoundException(model, tried);
    }

    private static bool IsBareName(string model) => model.IndexOfAny(['/', '\\']) < 0 && model is not "." and not "..";

    private static bool IsPackage(string folder) => File.Exists(Path.Combine(folder, ModelManifest.FileName));

    private static bool HoldsPackages(string folder)
    {
        try
        {
            return Directory.Exists(folder) && Directory.EnumerateDirectories(folder).Any(d => !Path.GetFileName(d).StartsWith('.') && IsPackage(d));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// A rooted <paramref name="path"/> as is; a relative one in the working directory, or in the nearest folder above it (up to the repository
    /// root, the folder with MusicGen.sln or .git) that has it: <c>dotnet run --project src/...</c> from inside the
    /// checkout finds the repository's <c>onnx/</c>.
    /// </summary>
    private static string FullPath(string path)
    {
        if (Path.IsPathRooted(path)) return Path.GetFullPath(path);
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, path);
            if (Directory.Exists(candidate)) return candidate;
            if (File.Exists(Path.Combine(dir.FullName, "MusicGen.sln")) || Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
                break;
        }
        return Path.GetFullPath(path);
    }
}
