-- Bench shortcut: the rest of the 100,000 generated articles indexed in one
-- statement, equivalent to Db::index_article for this corpus (8 blocks, the
-- default policy: 3 open blocks for every article).
INSERT INTO search_documents (article_id, status, access, published_at, section_id, publication, language, open_blocks, indexed_at, open_tsv, full_tsv)
SELECT a.id, a.status, a.access, a.published_at, a.section_id,
  COALESCE(a.provenance_json::jsonb->>'publication', ''), COALESCE(a.provenance_json::jsonb->>'language', ''), 3, now(),
  v.o, v.o || v.r
FROM articles a
CROSS JOIN LATERAL (SELECT
   setweight(to_tsvector('english', a.headline), 'A') || setweight(to_tsvector('english', a.standfirst), 'B')
   || setweight(to_tsvector('english', concat_ws(', ', (SELECT string_agg(au.name, ', ') FROM article_authors x JOIN authors au ON au.id = x.author_id WHERE x.article_id = a.id), a.provenance_json::jsonb->>'publication')), 'D')
   || setweight(to_tsvector('english', (SELECT string_agg(e->>'text', E'\n' ORDER BY i) FROM jsonb_array_elements(a.blocks_json::jsonb) WITH ORDINALITY t(e, i) WHERE i <= 3)), 'C') AS o,
   setweight(to_tsvector('english', (SELECT string_agg(e->>'text', E'\n' ORDER BY i) FROM jsonb_array_elements(a.blocks_json::jsonb) WITH ORDINALITY t(e, i) WHERE i > 3)), 'C') AS r) v
WHERE NOT EXISTS (SELECT 1 FROM search_documents d WHERE d.article_id = a.id);
ANALYZE search_documents;
