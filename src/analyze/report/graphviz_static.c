/* Graphviz in nprof-static: not there. The graph pictures need Graphviz's libraries or its dot
 * command, which a file meant for bare containers does not carry; text reports do not. */
#include "analyze/report/graphviz.h"

bool np_graphviz_available(void)
{
    return false;
}

int np_graphviz_render(const char *format, np_buf *data, np_err *err)
{
    return np_fail(err, "nprof: %s pictures need Graphviz, which nprof-static does not carry; "
                        "use the dynamic nprof for pictures", format);
}

void np_graphviz_keep_loaded(void)
{
}
