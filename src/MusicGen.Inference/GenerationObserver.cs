namespace MusicGen.Inference;

/// <summary>
/// Hooks the generation loop calls at each stage of a request, on the thread doing that stage. A hook that throws
/// fails exactly the requests of that stage (the one being admitted, the rows of the step, the one being finished),
/// as a real failure there would; the loop goes on. The service counts its metrics here; tests inject faults.
/// </summary>
public abstract class GenerationObserver
{
    /// <summary>Before <paramref name="sequence"/> is prefilled into a batch of <paramref name="model"/>.</summary>
    public virtual void Admitting(MusicModel model, GenerationSequence sequence)
    {
    }

    /// <summary>Before a decode step of <paramref name="rows"/> sequences of <paramref name="model"/>.</summary>
    public virtual void Stepping(MusicModel model, int rows)
    {
    }

    /// <summary>Before a finished <paramref name="sequence"/> is decoded into a score and written as MIDI.</summary>
    public virtual void Finishing(MusicModel model, GenerationSequence sequence)
    {
    }
}
