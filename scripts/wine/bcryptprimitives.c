/* A stand-in for Windows' bcryptprimitives.dll, which Wine 8 lacks: Rust's standard library
 * (1.78 and later) imports ProcessPrng from it to seed its hash maps, so without it no Rust
 * program starts under Wine. Windows 10 and later have the real one; this copy exists only for
 * the agents' Wine tests, which build it with MinGW and put it beside the agent's .exe.
 * ProcessPrng fills the buffer with random bytes and always succeeds; RtlGenRandom does the
 * same through advapi32, which Wine implements. */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x7fffffffu ? 0x7fffffffu : (ULONG)len;
        if (!RtlGenRandom(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
