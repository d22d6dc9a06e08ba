using MusicGen.Inference.Errors;

namespace MusicGen.Inference.Tests;

/// <summary>Model names resolve through the configured folder, <c>$MUSICGEN_MODELS</c>, ./onnx and onnx/ beside the program.</summary>
public sealed class ModelLocatorTests
{
    [Fact]
    public void A_package_folder_is_taken_as_is_and_a_name_is_found_in_the_models_folder()
    {
        var package = TestPackages.Transformer();
        Assert.Equal(Path.GetFullPath(package), ModelLocator.ResolvePackage(package));
        var folder = Path.GetDirectoryName(package)!;
        var name = Path.GetFileName(package);
        Assert.Equal(package, ModelLocator.ResolvePackage(name, folder));
        Assert.Equal(package, ModelLocator.ResolvePackage("elsewhere/" + name, folder)); // a path that is not there: its name
        Assert.Equal(folder, ModelLocator.SearchFolders(folder)[0]);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "onnx"), ModelLocator.SearchFolders(folder)[^1]);
    }

    [Fact]
    public void A_missing_model_names_every_folder_tried()
    {
        var empty = TestPackages.Scratch("no-models");
        var e = Assert.Throws<ModelNotFoundException>(() => ModelLocator.ResolvePackage("no-such-model", empty));
        Assert.Equal("no-such-model", e.Model);
        Assert.Equal(Path.Combine(empty, "no-such-model"), e.Tried[1]);
        Assert.Contains(Path.Combine(AppContext.BaseDirectory, "onnx", "no-such-model"), e.Tried);
        Assert.Contains(ModelLocator.EnvironmentVariable, e.Message);
        Assert.IsAssignableFrom<IOException>(e); // the CLI reports it as bad input
    }

    [Fact]
    public void A_configured_models_folder_is_the_one_a_service_watches()
    {
        var empty = TestPackages.Scratch("empty-models");
        Assert.Null(ModelLocator.FindModelsFolder(empty, out var tried));
        Assert.Equal([empty], tried);
        var folder = Path.GetDirectoryName(TestPackages.Transformer())!;
        Assert.Equal(folder, ModelLocator.FindModelsFolder(folder, out _));
    }
}
