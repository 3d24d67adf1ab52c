// Reads JSON lines {"resource": {...}, "expressions": ["...", ...]} on
// stdin and writes, per line, {"results": [[...], ...]}: each expression's
// result as fhirpath.js (HL7's reference JavaScript implementation, with
// the R4 model) computes it, or {"error": "..."} for that expression.
import fhirpath from "fhirpath";
import r4 from "fhirpath/fhir-context/r4/index.js";
import readline from "node:readline";

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  const { resource, expressions } = JSON.parse(line);
  const results = expressions.map((expr) => {
    try {
      const out = fhirpath.evaluate(resource, expr, null, r4);
      return out.map((v) => (v && typeof v.toJSON === "function" ? v.toJSON() : v));
    } catch (e) {
      return { error: String(e.message || e) };
    }
  });
  process.stdout.write(JSON.stringify({ results }) + "\n");
}
