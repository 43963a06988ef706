/* np_objdump_parse: objdump -d -l's listing read into instructions with the function, file and
 * line named above them; headers and unknown lines handled as pprof reads them. */
#include "analyze/report/objdump.h"

#include <string.h>

#include "unit.h"

static const char listing[] =
    "\nprog:     file format elf64-x86-64\n\n\nDisassembly of section .text:\n\n"
    "00000000004013d0 <burn_hot>:\n"
    "burn_hot():\n"
    "/src/prog.c:34\n"
    "  4013d0:\tmovslq %edi,%rdi\n"
    "/src/prog.c:35 (discriminator 3)\n"
    "  4013d3:\tmov    0x2cb6(%rip),%rax        # 404090 <sink>\n"
    "  4013da:\txor    %ecx,%ecx   \n"
    "\n"
    "  4013dc:\tret\n";

TEST(instructions_with_their_places)
{
    np_objdump d = {0};
    np_objdump_parse(listing, strlen(listing), &d);
    CHECK(d.n == 4);
    CHECK(d.v[0].addr == 0x4013d0);
    CHECK_STR_EQ(d.v[0].text, "movslq %edi,%rdi");
    CHECK_STR_EQ(d.v[0].function, "burn_hot");
    CHECK_STR_EQ(d.v[0].file, "/src/prog.c");
    CHECK(d.v[0].line == 34);
    CHECK(d.v[1].line == 35); /* the discriminator is not part of the line */
    CHECK_STR_EQ(d.v[1].text, "mov    0x2cb6(%rip),%rax        # 404090 <sink>");
    CHECK_STR_EQ(d.v[2].text, "xor    %ecx,%ecx"); /* trailing blanks trimmed */
    CHECK(d.v[2].line == 35);
    /* A blank line forgets the place, as pprof's reader does. */
    CHECK_STR_EQ(d.v[3].function, "");
    CHECK_STR_EQ(d.v[3].file, "");
    CHECK(d.v[3].line == 0);
    np_objdump_free(&d);
}

TEST(damaged_listing)
{
    static const char bad[] = "zzzz:\tnop\n  12345678901234567890:\tnop\n:\tx\n4010:\n4011:x\nf.c:\n  4012:\tnop";
    np_objdump d = {0};
    np_objdump_parse(bad, sizeof bad - 1, &d);
    /* Only the unterminated last line is an instruction: pprof wants blanks after "addr:". */
    CHECK(d.n == 1);
    CHECK(d.v[0].addr == 0x4012);
    CHECK_STR_EQ(d.v[0].text, "nop");
    CHECK_STR_EQ(d.v[0].file, "");
    np_objdump_free(&d);
}
