/* make eval: the confusion tables of the image checks on the evaluation
 * set. Usage: eval_checks [-v] CORPUS; eval_checks --examples DIR writes
 * the README's pictures of each check. Exit 0 when every target holds on
 * the test half, 1 when one is missed, 2 on usage or a missing corpus. */
#include "eval.h"

#include <string.h>
#include <sys/stat.h>

int eval_face(const char *corpus, int verbose); /* face.c */

int main(int argc, char **argv)
{
    int verbose = 0, arg = 1;
    struct stat sb;
    if (arg < argc && strcmp(argv[arg], "-v") == 0)
        verbose = 1, arg++;
    if (argc == 3 && strcmp(argv[1], "--face") == 0)
        return eval_face(argv[2], verbose) ? 0 : 1;
    if (argc == 3 && strcmp(argv[1], "--examples") == 0)
        return eval_examples(argv[2]) == 0 ? 0 : 1;
    if (arg + 1 != argc || stat(argv[arg], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "usage: eval_checks [-v] CORPUS (the shared corpus folder)\n"
                        "       eval_checks --examples DIR (the README's pictures)\n");
        return 2;
    }
    printf("Evaluation of the image checks on %s\n"
           "Thresholds were set on the tuning half; the test half was not used "
           "to set them.\n", argv[arg]);
    int ok = eval_document(argv[arg], verbose);
    ok &= eval_quality(argv[arg], verbose);
    ok &= eval_face(argv[arg], verbose);
    return ok ? 0 : 1;
}
