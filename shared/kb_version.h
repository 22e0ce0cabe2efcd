/* kb_version.h - the release both programs report with --version */
#ifndef KB_VERSION_H
#define KB_VERSION_H
#define KB_VERSION "0.1.0"
#endif
