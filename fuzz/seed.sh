#!/usr/bin/env bash
# Fills corpus/<target>/ with seeds from the repository: the policy files of
# the examples and the standard library, their documents, and the files of
# every test case. Run from anywhere; existing seeds are kept.
set -euo pipefail

fuzz="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$fuzz")"
corpus="$fuzz/corpus"
mkdir -p "$corpus/policy_parser" "$corpus/document_loader" "$corpus/check"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# Adds the file $2 to the corpus of target $1 under its content hash.
seed() {
  local name
  name="$(sha1sum "$2" | cut -d' ' -f1)"
  cp "$2" "$corpus/$1/$name"
}

documents() { find "$@" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | sort; }

# Policies and documents of the repository.
while IFS= read -r f; do seed policy_parser "$f"; done \
  < <(find "$root/examples" "$root/stdlib" -name '*.policy' | sort)
while IFS= read -r f; do seed document_loader "$f"; done \
  < <(documents "$root/examples" "$root/stdlib/tests" "$root/tests/fixtures")

# Each example project: its policies joined, a 0 byte, one of its documents.
for project in "$root"/examples/*/; do
  [ -d "$project/policies" ] || continue
  find "$project/policies" -name '*.policy' | sort | xargs cat > "$scratch/policies"
  while IFS= read -r doc; do
    { cat "$scratch/policies"; printf '\0'; cat "$doc"; } > "$scratch/input"
    seed check "$scratch/input"
  done < <(documents "$project")
done

# The standard library's own tests: the test policy and each fixture.
for test in "$root"/stdlib/tests/*.policy; do
  module="$(basename "$test" .policy)"
  [ -d "$root/stdlib/tests/fixtures/$module" ] || continue
  while IFS= read -r doc; do
    { cat "$test"; printf '\0'; cat "$doc"; } > "$scratch/input"
    seed check "$scratch/input"
  done < <(documents "$root/stdlib/tests/fixtures/$module")
done

# The test cases: every `=== file PATH` section is written out under
# $scratch/case/, then policies, documents and their pairs are seeded.
while IFS= read -r case; do
  rm -rf "$scratch/case"
  mkdir -p "$scratch/case"
  awk -v out="$scratch/case" '
    /^=== / {
      if (file != "") close(file)
      file = ""
      if ($2 == "file") {
        name = $3
        gsub(/\//, "_", name)
        file = sprintf("%s/%03d-%s", out, ++n, name)
        printf "" > file
      }
      next
    }
    file != "" { print > file }
  ' "$case"
  policies=()
  docs=()
  for f in "$scratch"/case/*; do
    [ -f "$f" ] || continue
    case "$f" in
      *.policy) seed policy_parser "$f"; policies+=("$f") ;;
      *.yaml | *.yml | *.json) seed document_loader "$f"; docs+=("$f") ;;
    esac
  done
  if [ ${#docs[@]} -gt 0 ]; then
    if [ ${#policies[@]} -gt 0 ]; then cat "${policies[@]}" > "$scratch/policies"; else : > "$scratch/policies"; fi
    for doc in "${docs[@]}"; do
      { cat "$scratch/policies"; printf '\0'; cat "$doc"; } > "$scratch/input"
      seed check "$scratch/input"
    done
  fi
done < <(find "$root/tests/cases" -name '*.case' | sort)

for target in policy_parser document_loader check; do
  echo "$target: $(find "$corpus/$target" -type f | wc -l) seeds"
done
