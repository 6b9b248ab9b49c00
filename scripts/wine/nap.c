/* nap SECONDS [FILE]: sleeps, then creates FILE. The GuruRMM agent's Wine tests start it as a
 * grandchild that outlives its parent, to see whether a command's timeout ends every process
 * the command started: FILE appears only if this process survived. Wine has no timeout.exe. */
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: nap SECONDS [FILE]\n");
        return 2;
    }
    Sleep((DWORD)atoi(argv[1]) * 1000u);
    if (argc > 2) {
        FILE *marker = fopen(argv[2], "w");
        if (marker == NULL) {
            return 1;
        }
        fputs("survived\n", marker);
        fclose(marker);
    }
    return 0;
}
