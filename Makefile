# Simpa: the two commands a new user needs are `make run` and `make test`.
CARGO ?= cargo
SIMPA := ./target/debug/simpa
FRICTIONLESS := target/python/bin/frictionless
SCHEMATHESIS := target/python/bin/schemathesis
OIDC_PROVIDER := target/oidc/provider.mjs
BROWSER := target/browser/visit.mjs

.PHONY: run test lint openapi fixtures build bench faults vendor

## Build, migrate the embedded SQLite database, load the demo data and serve on 127.0.0.1:8080.
## The demo's staff accounts sign in with their password alone: their second factor is off.
run: build
	$(SIMPA) fixtures load --size demo
	SIMPA_STAFF_TWO_FACTOR=off $(SIMPA) serve

build:
	$(CARGO) build --bin simpa

## The whole suite on SQLite and PostgreSQL (a throwaway PostgreSQL is started when none is given).
test: lint $(FRICTIONLESS) $(SCHEMATHESIS) $(OIDC_PROVIDER) $(BROWSER)
	command -v pdftotext >/dev/null || { apt-get install -y -qq poppler-utils >/dev/null 2>&1 || sudo apt-get install -y -qq poppler-utils; }
	command -v chromium >/dev/null || { apt-get install -y -qq chromium >/dev/null 2>&1 || sudo apt-get install -y -qq chromium; }
	command -v java >/dev/null || { apt-get install -y -qq default-jre-headless >/dev/null 2>&1 || sudo apt-get install -y -qq default-jre-headless; }
	SIMPA_FRICTIONLESS=$(abspath $(FRICTIONLESS)) SIMPA_SCHEMATHESIS=$(abspath $(SCHEMATHESIS)) \
		SIMPA_OIDC_PROVIDER=$(abspath $(OIDC_PROVIDER)) SIMPA_BROWSER=$(abspath $(BROWSER)) \
		scripts/with-postgres $(CARGO) test --workspace

## The test tools from PyPI, in a virtual environment of their own: the Table Schema validator
## the open data is checked with, and the fuzzer the API's contract is checked with.
target/python/bin/pip:
	python3 -m venv target/python

$(FRICTIONLESS): target/python/bin/pip
	target/python/bin/pip install -q frictionless==5.21.0

$(SCHEMATHESIS): target/python/bin/pip
	target/python/bin/pip install -q schemathesis==4.32.5

## The OpenID provider the single sign-on tests run on loopback: the OpenID-certified
## `oidc-provider` from the npm registry (versions pinned by tests/oidc/package-lock.json),
## under the machine's Node.js.
$(OIDC_PROVIDER): tests/oidc/provider.mjs tests/oidc/package.json tests/oidc/package-lock.json
	mkdir -p target/oidc
	cp tests/oidc/package.json tests/oidc/package-lock.json target/oidc/
	cd target/oidc && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	cp tests/oidc/provider.mjs $@

## The portal's foundation, vendored into web/static/ (committed: `make run` needs no
## Node.js): GOV.UK Frontend's styles (MIT), compiled with Simpa's settings by Sass, both from
## the npm registry at the versions of web/assets/package-lock.json.
vendor:
	mkdir -p target/vendor
	cp web/assets/package.json web/assets/package-lock.json target/vendor/
	cd target/vendor && npm ci --no-audit --no-fund --loglevel=error
	target/vendor/node_modules/.bin/sass --load-path=target/vendor/node_modules --style=compressed \
		--no-source-map web/assets/simpa.scss web/static/simpa.css
	cp target/vendor/node_modules/govuk-frontend/dist/govuk/components/file-upload/file-upload.bundle.js \
		web/static/govuk-file-upload.js
	{ echo "GOV.UK Frontend $$(node -p 'require("./target/vendor/node_modules/govuk-frontend/package.json").version'), compiled into simpa.css; its file upload's script is govuk-file-upload.js."; \
	  echo "Its licence (from its README): the codebase is released under the MIT License."; echo; \
	  echo "The MIT License (MIT)"; echo "Copyright (c) Crown Copyright (Government Digital Service)"; echo; \
	  echo 'Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:'; echo; \
	  echo 'The above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.'; echo; \
	  echo 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.'; \
	} > web/static/LICENCE-govuk-frontend.txt

## What drives Debian's Chromium in the portal's tests: playwright-core (it downloads no
## browser), axe-core and the Nu Html Checker (vnu-jar, run with the machine's Java; its
## install script, which would fetch a Java, is not run), from the npm registry at the versions
## of tests/browser/package-lock.json.
$(BROWSER): tests/browser/visit.mjs tests/browser/package.json tests/browser/package-lock.json
	mkdir -p target/browser
	cp tests/browser/package.json tests/browser/package-lock.json target/browser/
	cd target/browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	cp tests/browser/visit.mjs $@

## Formatting and lints, as CI checks them.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Benchmarks against a release build, written to bench/results.md: Paris-size data loaded on
## SQLite and a throwaway PostgreSQL, each scenario next to the limit of the same stack;
## document uploads (vs cp), the outbox, memory.
bench:
	$(CARGO) build --release --bin simpa --bin simpa-limits
	command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || sudo apt-get install -y -qq wrk; }
	scripts/with-postgres python3 scripts/bench.py ./target/release/simpa ./target/release/simpa-limits

## The fault scenarios, against a debug build and a PostgreSQL cluster of their own: PostgreSQL
## stopped under load, SIGKILL during submissions and uploads, SIGTERM, slow clients.
faults:
	$(CARGO) build --bin simpa --bin simpa-limits
	python3 scripts/faults.py ./target/debug/simpa ./target/debug/simpa-limits

## Rewrite openapi/openapi.json from the code (a test fails while it is stale).
openapi:
	$(CARGO) run -q -p simpa-openapi

## Load the demo data set into the configured database.
fixtures: build
	$(SIMPA) fixtures load --size demo
