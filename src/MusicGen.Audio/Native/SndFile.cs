using System.Runtime.InteropServices;

namespace MusicGen.Audio.Native;

/// <summary>The part of libsndfile's C API (<c>libsndfile.so.1</c>, a dependency of libfluidsynth3) that writes FLAC to memory.</summary>
internal static partial class SndFile
{
    public const string Library = "libsndfile.so.1";

    public const int ModeWrite = 0x20;          // SFM_WRITE
    public const int FormatFlac = 0x170000;     // SF_FORMAT_FLAC
    public const int FormatPcm16 = 0x0002;      // SF_FORMAT_PCM_16

    /// <summary>SF_INFO.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Info
    {
        public long Frames;
        public int SampleRate;
        public int Channels;
        public int Format;
        public int Sections;
        public int Seekable;
    }

    /// <summary>SF_VIRTUAL_IO: callbacks (cdecl) with the user data last.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct VirtualIo
    {
        public delegate* unmanaged[Cdecl]<IntPtr, long> GetLength;
        public delegate* unmanaged[Cdecl]<long, int, IntPtr, long> Seek;
        public delegate* unmanaged[Cdecl]<void*, long, IntPtr, long> Read;
        public delegate* unmanaged[Cdecl]<void*, long, IntPtr, long> Write;
        public delegate* unmanaged[Cdecl]<IntPtr, long> Tell;
    }

    [LibraryImport(Library, EntryPoint = "sf_open_virtual")]
    public static unsafe partial IntPtr OpenVirtual(VirtualIo* io, int mode, Info* info, IntPtr userData);

    [LibraryImport(Library, EntryPoint = "sf_writef_short")]
    public static unsafe partial long WriteFramesShort(SndFileHandle file, short* frames, long count);

    [LibraryImport(Library, EntryPoint = "sf_close")]
    public static partial int Close(IntPtr file);

    /// <summary>The last error (of a file, or of the last open when <paramref name="file"/> is zero); a static string.</summary>
    [LibraryImport(Library, EntryPoint = "sf_strerror")]
    public static partial IntPtr StrError(IntPtr file);
}

/// <summary>A <c>SNDFILE*</c>, closed (and flushed) with <c>sf_close</c>.</summary>
internal sealed class SndFileHandle : SafeHandle
{
    public SndFileHandle(IntPtr file) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(file);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => SndFile.Close(handle) == 0;
}
