# mod_proxy_reencrypt: build, install, test and demo.
#   make          build the module with apxs
#   make install  install the module and the a2enmod files (Debian layout)
#   make test     install what is needed, build, run every test
#   make check    build, unit tests, fuzz-corpus replay, build/check.sh:
#                 any user, no network, seconds
#   make deb      the Debian package (dpkg-buildpackage -us -uc -b), in ..
#   make demo     install what is needed, build, show the policy at work
#   make httpd-tests HTTPD_TESTS=/path/to/httpd-tests
#                 Apache's own suite, stock vs module under audit (by hand)
#   make soak [SOAK_SECONDS=600]
#                 soak with faults on a timer (by hand, as root; RELIABILITY.md)
#   make valgrind the test server under memcheck (by hand, as root; RELIABILITY.md)
APXS    ?= apxs
CC      ?= gcc
SRC_DIR  = mod_proxy_reencrypt
SOURCES  = $(wildcard $(SRC_DIR)/*.c)
HEADERS  = $(wildcard $(SRC_DIR)/*.h)
WFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=
SO       = $(SRC_DIR)/.libs/mod_proxy_reencrypt.so
VERSION := $(shell sed -n 's/^\#define PR_VERSION "\(.*\)"/\1/p' $(SRC_DIR)/pr_version.h)
DEB      = libapache2-mod-proxy-reencrypt

.PHONY: all install test demo unit clean deps check deb httpd-tests soak valgrind

all: $(SO)

# Rebuild when the extra flags change (make test vs an ASan build).
FLAGS_STAMP = build/out/flags.$(shell echo '$(EXTRA_CFLAGS) $(EXTRA_LDFLAGS)' | md5sum | cut -c1-8)
$(FLAGS_STAMP):
	@mkdir -p build/out && rm -f build/out/flags.* && touch $@

$(SO): $(SOURCES) $(HEADERS) $(FLAGS_STAMP)
	@mkdir -p build/out
	@echo "  APXS  $(SO)"
	@cd $(SRC_DIR) && $(APXS) -c -o mod_proxy_reencrypt.la \
	    -Wc,"$(WFLAGS) $(EXTRA_CFLAGS)" -Wl,"$(EXTRA_LDFLAGS)" -lssl -lcrypto \
	    $(notdir $(SOURCES)) > ../build/out/build.log 2>&1 \
	  || { cat ../build/out/build.log; exit 1; }

install: $(SO)
	install -D -m 644 $(SO) $(DESTDIR)$$($(APXS) -q LIBEXECDIR)/mod_proxy_reencrypt.so
	install -D -m 644 conf/proxy_reencrypt.load $(DESTDIR)/etc/apache2/mods-available/proxy_reencrypt.load
	install -D -m 644 conf/proxy_reencrypt.conf $(DESTDIR)/etc/apache2/mods-available/proxy_reencrypt.conf

# The test PKI is made while the module builds (two cores).
check:
	bash build/check.sh
	bash build/check.sh --self-test
	@bash build/pki.sh t/pki >build/pki.log 2>&1 & pki=$$!; \
	  $(MAKE) all || exit 1; wait $$pki || { cat build/pki.log; exit 1; }; rm -f build/pki.log
	MPR_NO_AT=1 bash build/run-tests.sh

# dpkg-buildpackage writes to ..: the results are moved here.
deb:
	dpkg-buildpackage -us -uc -b
	for f in ../$(DEB)_$(VERSION)_* ../$(DEB)-dbgsym_$(VERSION)_*; do \
	    if [ -e "$$f" ]; then mv "$$f" .; fi; done
	@ls -1 $(DEB)_$(VERSION)_*.deb

deps:
	bash build/deps.sh

test: deps
	bash build/run-tests.sh

demo: deps
	bash build/demo.sh

# Apache's own test suite (apache/httpd-tests, fetched by hand, never
# committed): stock vs stock + this module under audit; fails if they differ.
httpd-tests:
	@test -n "$(HTTPD_TESTS)" || { echo "usage: make httpd-tests HTTPD_TESTS=/path/to/httpd-tests"; exit 2; }
	bash build/httpd-tests.sh "$(HTTPD_TESTS)"

# Reliability (RELIABILITY.md), by hand, never in CI: `make test` calls neither.
SOAK_SECONDS ?= 600
soak: $(SO)
	SOAK_SECONDS=$(SOAK_SECONDS) bash build/soak.sh

valgrind: $(SO)
	bash build/valgrind.sh

clean:
	rm -rf $(SRC_DIR)/.libs $(SRC_DIR)/*.la $(SRC_DIR)/*.lo $(SRC_DIR)/*.slo $(SRC_DIR)/*.o build/out
