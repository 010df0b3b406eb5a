#!/usr/bin/env bash
# `sam build` without Docker. aws-sam-cli (about 340 MB, with its own boto3) lives in its own venv, .venv-sam,
# created on first use. The layer is a makefile build that asks pip for arm64/CPython 3.13 wheels, so it
# builds on any machine; the check at the end proves the artifact is the one Lambda needs.
set -euo pipefail
cd "$(dirname "$0")/.."

SAM_VENV=.venv-sam
SAM_CLI_VERSION=${SAM_CLI_VERSION:-1.170.0}
PYTHON=${PYTHON:-python3}

if [[ ! -x $SAM_VENV/bin/sam ]]; then
    echo "sam-build: installing aws-sam-cli $SAM_CLI_VERSION into $SAM_VENV (once)"
    "$PYTHON" -m venv "$SAM_VENV"
    "$SAM_VENV/bin/pip" install --quiet --upgrade pip
    "$SAM_VENV/bin/pip" install --quiet "aws-sam-cli==$SAM_CLI_VERSION"
fi

export SAM_CLI_TELEMETRY=0
# The layer Makefile's pip: the sam venv's, which is recent enough for --platform/--python-version.
export PIP="$PWD/$SAM_VENV/bin/python -m pip"
"$SAM_VENV/bin/sam" build --template-file template.yaml --build-dir .aws-sam/build "$@"

layer=.aws-sam/build/CommonLayer/python
fail() { echo "sam-build: $*" >&2; exit 1; }
[[ -f $layer/leadgate/__init__.py ]] || fail "layer lacks python/leadgate"
[[ -f $layer/leadgate/routes.py ]] || fail "layer lacks python/leadgate/routes.py"
native=$(find "$layer/pydantic_core" -maxdepth 1 -name '_pydantic_core.cpython-313-aarch64-linux-gnu.so' | head -n 1)
[[ -n $native ]] || fail "layer lacks pydantic_core built for CPython 3.13 on aarch64"
[[ ! -e $layer/botocore ]] || fail "layer ships botocore, which would shadow the runtime's"
# cryptography (about 14 MB) is only in the layer the token handlers carry.
crypto=.aws-sam/build/CryptoLayer/python
[[ -d $crypto/jwt && -d $crypto/cryptography ]] || fail "the crypto layer lacks PyJWT or cryptography"
[[ ! -e $layer/cryptography && ! -e $layer/jwt ]] || fail "the common layer ships what the crypto layer holds"
# The docs function serves Swagger UI from Powertools' copy in the layer, and the description packaged with it.
[[ -f $layer/aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js ]] \
    || fail "layer lacks Powertools' Swagger UI assets"
cmp -s docs/openapi.json .aws-sam/build/DocsFunction/openapi.json || fail "the docs function lacks docs/openapi.json"
for function in health token authorizer leads inbound usage docs; do
    [[ -f .aws-sam/build/${function^}Function/app.py ]] || fail "no build of functions/$function"
done
echo "sam-build: OK ($(du -sh --apparent-size "$layer" | cut -f1) common layer, $(du -sh --apparent-size "$crypto" | cut -f1) crypto layer, unzipped; $(basename "$native"))"
