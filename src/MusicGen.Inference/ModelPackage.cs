using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;

namespace MusicGen.Inference;

/// <summary>
/// A validated model package folder (<c>musicgen.json</c> + ONNX files, see docs/model-package.md): the manifest is
/// valid, every listed file exists and matches its SHA-256, and the embedded tokenizer agrees with the network's
/// vocabulary and special tokens. Every failure is a <see cref="ModelPackageException"/> naming the file and field.
/// </summary>
public sealed class ModelPackage
{
    private ModelPackage(string directory, ModelManifest manifest, IMusicTokenizer tokenizer)
    {
        Directory = directory;
        Manifest = manifest;
        Tokenizer = tokenizer;
        Meters = MusicGen.Core.Music.MeterRewrite.Parse(manifest.MeterMap);
        Programs = MusicGen.Core.Music.TrackProgramMap.Parse(manifest.TrackPrograms);
    }

    /// <summary>Full path of the package folder.</summary>
    public string Directory { get; }

    /// <summary>The package's manifest.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>The package's tokenizer, rebuilt from the manifest.</summary>
    public IMusicTokenizer Tokenizer { get; }

    /// <summary>Time signatures to rewrite in MIDI before encoding it, as the training data was (manifest <c>meterMap</c>).</summary>
    public MusicGen.Core.Music.MeterRewrite Meters { get; }

    /// <summary>Programs to give named tracks in MIDI before encoding it, as the training data was (manifest <c>trackPrograms</c>).</summary>
    public MusicGen.Core.Music.TrackProgramMap Programs { get; }

    /// <summary>A MIDI score made ready for this model's tokenizer, as its training data was: time signatures
    /// rewritten (<see cref="Meters"/>), named tracks given their programs (<see cref="Programs"/>) and, for a model
    /// trained on pieces moved to C major / A minor (<see cref="NormalizesKeys"/>), moved there too.</summary>
    public MusicGen.Core.Music.Score PrepareInput(MusicGen.Core.Music.Score score) => PrepareInput(score, out _);

    /// <summary><see cref="PrepareInput(MusicGen.Core.Music.Score)"/>, also giving the semitones the piece was moved by (0 unless <see cref="NormalizesKeys"/>).</summary>
    public MusicGen.Core.Music.Score PrepareInput(MusicGen.Core.Music.Score score, out int keyShift)
    {
        var prepared = Programs.Rewrite(Meters.Rewrite(score));
        keyShift = 0;
        if (NormalizesKeys) (prepared, keyShift) = MusicGen.Core.Corpus.KeyNormalization.Apply(prepared);
        return prepared;
    }

    /// <summary>
    /// Whether the model was trained on pieces moved to C major / A minor (manifest <c>normalizedKeys</c>): its
    /// tokens are in that frame, and generated pieces are moved to a key afterwards (<see cref="GenerationResult.KeyShift"/>).
    /// </summary>
    public bool NormalizesKeys => Manifest.NormalizedKeys is not null;

    /// <summary>Model name.</summary>
    public string Name => Manifest.Name;

    /// <summary>Model version.</summary>
    public string Version => Manifest.Version;

    /// <summary><c>transformer</c> or <c>lstm</c>.</summary>
    public string Architecture => Manifest.Architecture;

    /// <summary>Longest sequence the model was built for (tokens).</summary>
    public int ContextLength => Manifest.ContextLength;

    /// <summary>Vocabulary size.</summary>
    public int VocabularySize => Manifest.HyperParameters.VocabSize;

    /// <summary>True for an LSTM package.</summary>
    public bool IsLstm => Manifest.Architecture == ModelArchitectures.Lstm;

    /// <summary>Full path of a graph's file.</summary>
    public string PathOf(GraphEntry graph) => Path.Combine(Directory, graph.File);

    /// <summary>Reads and validates the package in <paramref name="directory"/>.</summary>
    /// <param name="directory">The package folder (<c>onnx/&lt;name&gt;</c>).</param>
    /// <param name="verifyHashes">Check the SHA-256 of each graph file and of the weights file (default true); without it only their presence and the weights file's size are checked.</param>
    /// <exception cref="ModelPackageException">Anything missing or inconsistent, with the path and field.</exception>
    public static ModelPackage Load(string directory, bool verifyHashes = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var dir = Path.GetFullPath(directory);
        var manifest = ModelManifest.Load(dir);
        var where = Path.Combine(dir, ModelManifest.FileName);
        manifest.CheckFilesExist(dir);
        if (verifyHashes) manifest.VerifyFiles(dir);

        IMusicTokenizer tokenizer;
        try
        {
            tokenizer = TokenizerJson.FromJson(manifest.TokenizerJson);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ModelPackageException($"{where}: tokenizer: the configuration cannot be built ({e.Message}).", e);
        }
        var vocab = manifest.HyperParameters.VocabSize;
        if (tokenizer.VocabularySize != vocab)
            throw new ModelPackageException(
                $"{where}: tokenizer/vocabulary mismatch: the tokenizer has {tokenizer.VocabularySize} tokens but hyperParameters.vocabSize is {vocab}.");
        foreach (var (field, declared, actual) in new[]
                 {
                     ("pad", manifest.SpecialTokens.Pad, tokenizer.Pad), ("bos", manifest.SpecialTokens.Bos, tokenizer.Bos),
                     ("eos", manifest.SpecialTokens.Eos, tokenizer.Eos),
                 })
        {
            if (declared != actual)
                throw new ModelPackageException(
                    $"{where}: tokenizer/vocabulary mismatch: specialTokens.{field} is {declared} but the tokenizer's is {actual}.");
        }
        if (SamplingOptions.CheckDefaults(manifest.Sampling) is [var problem, ..])
            throw new ModelPackageException($"{where}: {problem}");
        return new ModelPackage(dir, manifest, tokenizer);
    }
}
