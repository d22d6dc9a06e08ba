using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MusicGen.Audio.Native;

namespace MusicGen.Audio;

/// <summary>
/// Encodes interleaved 16-bit PCM as FLAC with libsndfile (libFLAC underneath), into memory through libsndfile's
/// virtual I/O: the callbacks read and write a <see cref="MemoryStream"/> held by a GC handle for the encode's length.
/// </summary>
internal static class FlacWriter
{
    public static unsafe byte[] Write(short[] samples, int channels, int sampleRate)
    {
        var stream = new MemoryStream();
        var pin = GCHandle.Alloc(stream);
        try
        {
            var io = new SndFile.VirtualIo { GetLength = &GetLength, Seek = &Seek, Read = &Read, Write = &WriteBytes, Tell = &Tell };
            var info = new SndFile.Info { SampleRate = sampleRate, Channels = channels, Format = SndFile.FormatFlac | SndFile.FormatPcm16 };
            var raw = SndFile.OpenVirtual(&io, SndFile.ModeWrite, &info, GCHandle.ToIntPtr(pin));
            if (raw == IntPtr.Zero)
                throw new InvalidOperationException("libsndfile could not start a FLAC stream: " + Marshal.PtrToStringUTF8(SndFile.StrError(IntPtr.Zero)));
            using (var file = new SndFileHandle(raw))
            {
                long frames = samples.Length / channels;
                fixed (short* p = samples)
                {
                    if (SndFile.WriteFramesShort(file, p, frames) != frames)
                        throw new InvalidOperationException("libsndfile did not write every frame of the FLAC stream");
                }
            } // sf_close writes the last frames and the stream header
            return stream.ToArray();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new AudioRenderingUnavailableException($"libsndfile not found, so no FLAC: install libsndfile1 (Debian; the library {SndFile.Library})", e);
        }
        finally
        {
            pin.Free();
        }
    }

    private static MemoryStream Of(IntPtr user) => (MemoryStream)GCHandle.FromIntPtr(user).Target!;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static long GetLength(IntPtr user) => Of(user).Length;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static long Seek(long offset, int whence, IntPtr user)
    {
        var s = Of(user);
        var origin = whence switch { 1 => SeekOrigin.Current, 2 => SeekOrigin.End, _ => SeekOrigin.Begin };
        var target = origin switch { SeekOrigin.Current => s.Position + offset, SeekOrigin.End => s.Length + offset, _ => offset };
        if (target < 0) return -1;
        s.Position = target;
        return target;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe long Read(void* buffer, long count, IntPtr user) =>
        Of(user).Read(new Span<byte>(buffer, (int)Math.Min(count, int.MaxValue)));

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe long WriteBytes(void* buffer, long count, IntPtr user)
    {
        Of(user).Write(new ReadOnlySpan<byte>(buffer, (int)Math.Min(count, int.MaxValue)));
        return Math.Min(count, int.MaxValue);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static long Tell(IntPtr user) => Of(user).Position;
}
