using MusicGen.Core.Music;
using MusicGen.Listening;

namespace MusicGen.Server.Listening;

/// <summary>
/// One clip of a pair as the page receives it: a label ('A' or 'B') and the music in one format. Nothing in it
/// names a file, a model or the tick grid the piece came from.
/// </summary>
/// <param name="Label">'A' or 'B'.</param>
/// <param name="Format">The renderer's format: <c>notes</c> (note events for the page's synth) or another registered one.</param>
/// <param name="Seconds">Length of the clip in seconds (the excerpt length, the same for both clips).</param>
/// <param name="Notes">Note events (format <c>notes</c>).</param>
/// <param name="MediaType">Media type of <paramref name="Data"/> (formats that render audio, e.g. <c>audio/wav</c>).</param>
/// <param name="Data">Rendered audio, base64 (formats that render audio).</param>
public sealed record ClipView(string Label, string Format, double Seconds, IReadOnlyList<ClipNote>? Notes = null, string? MediaType = null, string? Data = null);

/// <summary>
/// Turns an excerpt into what the page plays. Real and generated excerpts of a pair always go through the same
/// renderer. The built-in one sends note events; an audio renderer (e.g. FluidSynth) registers another
/// <see cref="IClipRenderer"/> with its own <see cref="Format"/>, and the page asks for it with <c>?format=</c>.
/// </summary>
public interface IClipRenderer
{
    /// <summary>Name of the format (the <c>format</c> query value).</summary>
    string Format { get; }

    /// <summary>Renders one excerpt (already cut by <see cref="Excerpt.Cut"/> to <paramref name="seconds"/>) as the clip labelled <paramref name="label"/>.</summary>
    Task<ClipView> RenderAsync(string label, Score excerpt, double seconds, CancellationToken cancel);
}

/// <summary>The built-in renderer: note events in seconds for the page's Web Audio synth.</summary>
internal sealed class NoteEventRenderer : IClipRenderer
{
    public const string Name = "notes";

    public string Format => Name;

    public Task<ClipView> RenderAsync(string label, Score excerpt, double seconds, CancellationToken cancel) =>
        Task.FromResult(new ClipView(label, Format, seconds, Excerpt.Notes(excerpt)));
}
