/* Replays files through a fuzz target without libFuzzer (gcc, sanitizers):
 * `replay FILE...`; directories are not walked. Exit 0 when every file ran. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "preflight.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        if (pf_read_file(argv[i], (size_t)64 << 20, &data, &len) != PF_OK) {
            fprintf(stderr, "replay: cannot read %s\n", argv[i]);
            failed = 1;
            continue;
        }
        LLVMFuzzerTestOneInput(data, len);
        pf_free(data);
    }
    printf("replay: %d file(s)\n", argc - 1);
    return failed;
}
