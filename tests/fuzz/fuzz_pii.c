/* fuzz_pii.c - fuzz target: masking personal data, kb_pii_mask() */
#include "kb_pii.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *out = NULL;
    int n = 0;
    kb_pii_mask(&out, (const char *)data, size, &n);
    free(out);
    return 0;
}
