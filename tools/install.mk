# make install / make uninstall (included by the Makefile): nprof, libnprof (shared, with a
# versioned soname and its links, and the archive), nprof.h, nprof.pc and the man pages under
# man/, with PREFIX, DESTDIR and GNU's directory variables. tools/install.sh does the work.
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
MANDIR       ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL      ?= install

INSTALL_ENV = DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' BINDIR='$(BINDIR)' LIBDIR='$(LIBDIR)' \
  INCLUDEDIR='$(INCLUDEDIR)' MANDIR='$(MANDIR)' PKGCONFIGDIR='$(PKGCONFIGDIR)' \
  INSTALL='$(INSTALL)' VERSION='$(VERSION)' SONAME='$(SONAME)' BUILD='$(BUILD)'

.PHONY: install uninstall
install: $(BUILD)/nprof $(BUILD)/libnprof.so $(BUILD)/libnprof.a
	@$(INSTALL_ENV) sh tools/install.sh install

uninstall:
	@$(INSTALL_ENV) sh tools/install.sh uninstall
