/* fuzz_index.h - a tiny index, made once per process, for the fuzz targets
 * that search (query, suggest) */
#ifndef FUZZ_INDEX_H
#define FUZZ_INDEX_H

#include "kb_config.h"
#include "xapian_c.h"

/* Create the index in a new temporary folder (under $TMPDIR) from a
 * handful of built-in documents, and a configuration with synonyms. Call
 * once, before the first input (LLVMFuzzerInitialize); the folder is
 * removed at exit by the process that made it. Aborts on failure: a fuzz
 * target without its index would only report false crashes.
 * *db and *cfg are borrowed and live until exit. */
void fuzz_index_open(kb_xdb **db, const kb_config **cfg);

#endif
