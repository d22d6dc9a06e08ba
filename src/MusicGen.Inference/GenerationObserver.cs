namespace MusicGen.Inference;

/// <summary>
/// Hooks <see cref="GenerationLoop"/> calls at each stage of a request, on the thread doing that stage. A hook that
/// throws fails exactly the requests of that stage (the one being admitted, the rows of the step, the one being
/// finished), as a real failure there would; the loop goes on. The service counts its metrics and holds its model
/// versions here; tests inject faults. Every method does nothing by default.
/// </summary>
public abstract class GenerationObserver
{
    /// <summary>A batch for <paramref name="model"/> is about to be made (throw to refuse: the request admitted with it fails).</summary>
    public virtual void BatchOpening(MusicModel model)
    {
    }

    /// <summary>A batch of <paramref name="model"/> was disposed (idle, failed, or the loop stopped).</summary>
    public virtual void BatchClosed(MusicModel model)
    {
    }

    /// <summary>Whether an idle batch of <paramref name="model"/> is kept for the next request (default true; false frees it at once).</summary>
    public virtual bool KeepIdleBatch(MusicModel model) => true;

    /// <summary>Before <paramref name="sequence"/> is prefilled into a batch of <paramref name="model"/>.</summary>
    public virtual void Admitting(MusicModel model, GenerationSequence sequence)
    {
    }

    /// <summary>Before a decode step of <paramref name="rows"/> sequences of <paramref name="model"/>.</summary>
    public virtual void Stepping(MusicModel model, int rows)
    {
    }

    /// <summary>After a decode step of <paramref name="rows"/> sequences of <paramref name="model"/> that took <paramref name="elapsed"/>.</summary>
    public virtual void Stepped(MusicModel model, int rows, TimeSpan elapsed)
    {
    }

    /// <summary>The first token of a request was made, <paramref name="sinceArrival"/> after it was submitted.</summary>
    public virtual void FirstToken(MusicModel model, TimeSpan sinceArrival)
    {
    }

    /// <summary>Before a finished <paramref name="sequence"/> is decoded into a score and written as MIDI (on a pool thread).</summary>
    public virtual void Finishing(MusicModel model, GenerationSequence sequence)
    {
    }
}
