using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MusicGen.Training.Models;

/// <summary>
/// Recurrent model: <c>embedding [V,E] -> lstm (L layers, U units, batch first) -> dropout -> dense [D,U] + bias
/// -> ReLU -> output [V,D] + bias</c>. Weight names: <c>embedding.weight</c>, <c>lstm.weight_ih_l{k}</c> [4U, in],
/// <c>lstm.weight_hh_l{k}</c> [4U, U], <c>lstm.bias_ih_l{k}</c>, <c>lstm.bias_hh_l{k}</c> [4U] (gate order i, f, g, o),
/// <c>dense.weight</c>, <c>dense.bias</c>, <c>output.weight</c>, <c>output.bias</c>. Dropout (training only) also acts
/// on the embeddings, between LSTM layers and after the ReLU.
/// </summary>
public sealed class LstmMusicModel : TrainableMusicModel
{
    private readonly Embedding embedding;
    private readonly LSTM lstm;
    private readonly Linear dense;
    private readonly Linear output;
    private readonly LstmConfig config;

    /// <summary>Builds the model with freshly initialised weights.</summary>
    public LstmMusicModel(LstmConfig config) : base(nameof(LstmMusicModel))
    {
        config.Validate();
        this.config = config;
        embedding = nn.Embedding(config.VocabSize, config.EmbeddingSize);
        lstm = nn.LSTM(config.EmbeddingSize, config.Units, config.Layers, batchFirst: true,
            dropout: config.Layers > 1 ? config.Dropout : 0);
        dense = nn.Linear(config.Units, config.DenseUnits);
        output = nn.Linear(config.DenseUnits, config.VocabSize);
        RegisterComponents();
        using var _ = no_grad();
        nn.init.normal_(embedding.weight!, 0, 0.1);
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> LogitWeights { get; } = ["output.weight", "output.bias"];

    /// <inheritdoc />
    public override string Architecture => "lstm";

    /// <inheritdoc />
    public override ModelSpec Spec => new() { Architecture = Architecture, Lstm = config };

    /// <inheritdoc />
    public override int VocabSize => config.VocabSize;

    /// <summary>The hyper-parameters.</summary>
    public LstmConfig Config => config;

    /// <summary>Logits <c>[B,T,V]</c> for <paramref name="ids"/> <c>[B,T]</c> from a zero state.</summary>
    public override Tensor forward(Tensor ids)
    {
        var (logits, state) = Forward(ids, null);
        state.Dispose();
        return logits;
    }

    /// <summary>
    /// Step API: runs <paramref name="ids"/> <c>[B,T]</c> from <paramref name="state"/> (zeros when null) and returns the
    /// logits <c>[B,T,V]</c> and the state after the last step (h and c, each <c>[L,B,U]</c>).
    /// </summary>
    public (Tensor Logits, LstmState State) Forward(Tensor ids, LstmState? state)
    {
        if (ids.dim() != 2) throw new ArgumentException($"ids must be [batch, seq], got [{string.Join(", ", ids.shape)}]", nameof(ids));
        using var scope = NewDisposeScope();
        var p = training ? config.Dropout : 0.0;
        var x = embedding.call(ids);
        if (p > 0) x = F.dropout(x, p, true);
        var (y, h, c) = state is null ? lstm.call(x) : lstm.call(x, (state.H, state.C));
        if (p > 0) y = F.dropout(y, p, true);
        var d = F.relu(dense.call(y));
        if (p > 0) d = F.dropout(d, p, true);
        var logits = output.call(d);
        return (logits.MoveToOuterDisposeScope(), new LstmState(h.MoveToOuterDisposeScope(), c.MoveToOuterDisposeScope()));
    }
}

/// <summary>LSTM state after a step: hidden <see cref="H"/> and cell <see cref="C"/>, each <c>[layers, batch, units]</c>.</summary>
public sealed record LstmState(Tensor H, Tensor C) : IDisposable
{
    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        H.Dispose();
        C.Dispose();
    }
}
