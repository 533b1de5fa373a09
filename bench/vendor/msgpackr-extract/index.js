// Stand-in for msgpackr-extract, msgpackr's optional native string extractor (see bench/README.md,
// "BullMQ anchor"): package.json's overrides point every msgpackr-extract here. msgpackr requires
// it inside try/catch and falls back to its pure-JavaScript decoder when the require throws.
throw new Error('msgpackr-extract is stubbed out in this checkout; msgpackr uses its pure-JavaScript decoder');
