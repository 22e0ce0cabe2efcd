# deskdex - knowledge-base search for IT support desks
# make | make run | make test | make check | make bench | make install
# make cluster-test | make capacity

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
DATADIR  = $(PREFIX)/share/deskdex
MANDIR   = $(PREFIX)/share/man/man1
SYSCONFDIR ?= /etc

CC  ?= cc
CXX ?= g++
PKGS     = xapian-core jansson libmicrohttpd libutf8proc libcmark libxml-2.0 nettle libzip opencc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
OPT     ?= -O2 -g
SAN     ?=
CFLAGS   = -std=c11 -D_DEFAULT_SOURCE $(OPT) $(SAN) -Wall -Wextra -Ishared -Iindexer $(PKG_CFLAGS)
CXXFLAGS = -std=c++17 $(OPT) $(SAN) -Wall -Wextra -Ishared $(PKG_CFLAGS)
LDLIBS   = $(PKG_LIBS) -lstemmer -lcsv -lpthread
LDFLAGS += $(SAN)
# The indexer makes and frees many small strings (Xapian's inverter, the
# HTML trees): jemalloc does that about 30% faster than glibc's allocator;
# searches are faster with glibc's, so the server keeps it. Sanitizer
# builds use their own allocator.
INDEX_MALLOC = $(if $(SAN),,-ljemalloc)

B = build$(if $(SAN),-san)
BIN = bin$(if $(SAN),-san)

SHARED_C = kb_error kb_buf kb_text kb_thesaurus kb_pii kb_doc kb_store kb_search kb_group kb_snippet kb_config kb_suggest kb_curate kb_shard
SHARED_O = $(SHARED_C:%=$(B)/shared/%.o) $(B)/shared/xapian_c.o
READER_C = readers rd_markdown rd_html rd_records rd_attach rd_pdf rd_office
READER_O = $(READER_C:%=$(B)/indexer/%.o)
SERVER_C = main http routes suggest auth guard metrics analytics curate cluster cache
SERVER_O = $(SERVER_C:%=$(B)/server/%.o)
UNIT     = $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/*_test.c))
UNIT_BIN = $(UNIT:%=$(B)/tests/%)

LIB = $(B)/libdeskdex.a

.PHONY: all deps programs units run test check asan tsan fuzz soak bench bench-relevance install uninstall clean format man cluster-test capacity

# deps runs first, in its own step: the pkg-config flags above are read by
# the sub-make, after any missing -dev package was installed.
all: deps
	@$(MAKE) --no-print-directory programs

programs: $(BIN)/deskdex-index $(BIN)/deskdex-server $(BIN)/deskdex-httptest

units: $(UNIT_BIN)

deps:
	@scripts/deps.sh build

$(B)/%.o: %.c $(wildcard shared/*.h indexer/*.h server/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/shared/xapian_c.o: shared/xapian_c.cc shared/xapian_c.h shared/kb_error.h
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(LIB): $(SHARED_O)
	ar rcs $@ $^

$(BIN)/deskdex-index: $(B)/indexer/main.o $(READER_O) $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(INDEX_MALLOC)

$(BIN)/deskdex-server: $(SERVER_O) $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/deskdex-httptest: $(B)/tests/http/runner.o $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/tests/unit/%.o $(READER_O) $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The wrapper's header must build as strict C on its own.
$(B)/tests/unit/xapian_c_test.o: tests/unit/xapian_c_test.c shared/xapian_c.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -pedantic -Werror -c $< -o $@

# --- running ---

DB     ?= data/kb
LISTEN ?= 127.0.0.1:8080

run: all
	@mkdir -p $(dir $(DB))
	@$(BIN)/deskdex-index --db $(DB) --prune --quiet corpus/ || [ $$? -eq 1 ]
	@scripts/local-keys.sh $(BIN) $(dir $(DB))
	@echo "deskdex: serving $(DB) on http://$(LISTEN)/ (editors: http://$(LISTEN)/editor)"
	@echo "deskdex: keys for this machine (agent, editor, admin) are in $(dir $(DB))keys.txt"
	@exec $(BIN)/deskdex-server --db $(DB) --listen $(LISTEN) --config etc/deskdex.conf --www server/www --keys $(dir $(DB))keys.json

# --- tests ---

test: all
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory units
	@BIN=$(BIN) B=$(B) tests/run.sh

check:
	@CRASH_KILLS=20 $(MAKE) --no-print-directory SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" OPT="-O1 -g" test

asan: check

# The server under ThreadSanitizer: the HTTP suite, then concurrent clients
# while the settings are reloaded (tests/tsan/run.sh, about a minute).
tsan:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory SAN="-fsanitize=thread" OPT="-O1 -g" B=build-tsan BIN=bin-tsan all
	@BIN=bin-tsan tests/tsan/run.sh

# A multi-node deployment on loopback (tests/cluster/run.sh, about a
# minute); capacity measures one shard (tests/cluster/capacity.sh).
cluster-test: all
	@BIN=$(BIN) tests/cluster/run.sh

capacity: all
	@BIN=$(BIN) tests/cluster/capacity.sh

soak: all
	@scripts/deps.sh bench
	@tests/soak/run.sh

fuzz: all
	@scripts/deps.sh fuzz
	@tests/fuzz/fuzz.sh

bench: all
	@scripts/deps.sh bench
	@tests/bench/run.sh
	@tests/relevance/run.sh

bench-relevance: all
	@tests/relevance/run.sh

format:
	clang-format -i shared/*.[ch] indexer/*.[ch] server/*.[ch] tests/unit/*.[ch]

# --- installing ---

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(DATADIR)/www \
	    $(DESTDIR)$(SYSCONFDIR)/deskdex $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 755 $(BIN)/deskdex-index $(BIN)/deskdex-server $(DESTDIR)$(BINDIR)
	install -m 755 scripts/deskdex-replicate $(DESTDIR)$(BINDIR)
	install -m 644 docs/deskdex-index.1 docs/deskdex-server.1 $(DESTDIR)$(MANDIR)
	install -m 644 server/www/* $(DESTDIR)$(DATADIR)/www
	install -m 644 etc/deskdex.conf $(DESTDIR)$(SYSCONFDIR)/deskdex/deskdex.conf
	sed 's|@BINDIR@|$(BINDIR)|g; s|@DATADIR@|$(DATADIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    etc/deskdex.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/deskdex.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/deskdex-index $(DESTDIR)$(BINDIR)/deskdex-server \
	    $(DESTDIR)$(BINDIR)/deskdex-replicate \
	    $(DESTDIR)$(MANDIR)/deskdex-index.1 $(DESTDIR)$(MANDIR)/deskdex-server.1 \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system/deskdex.service
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san build-tsan bin bin-san bin-tsan tests/out
.SECONDARY:
