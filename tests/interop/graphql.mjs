// GraphQL as the interop tests speak it to a running pandad, beside what
// shirokuma does: raw queries, polling until the node has materialised
// something (as apps do), and deploying a schema the way shirokuma's
// tutorials do.
import { OperationFields } from 'shirokuma';

export async function gql(url, query, variables) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return res.json();
}

// Ask `query` until `pred(answer)` holds; the last answer is in the error.
export async function untilAnswer(url, query, pred, what, pollMs) {
  const deadline = Date.now() + pollMs;
  let last;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    last = await gql(url, query);
    if (pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: gave up waiting, last answer ${JSON.stringify(last)}`);
    await new Promise((ok) => setTimeout(ok, pause));
  }
}

// Ask `query` until its data satisfies `pred(data)`; returns the data.
export async function until(url, query, pred, what, pollMs) {
  return (await untilAnswer(url, query, (a) => a.data && pred(a.data), what, pollMs)).data;
}

// Publish the field definitions and the schema definition with `session`,
// then wait until the node serves the schema's GraphQL type; its id.
export async function deploy(session, url, name, description, fields, pollMs) {
  const views = [];
  for (const [fieldName, type] of fields)
    views.push(await session.create({ name: fieldName, type }, { schemaId: 'schema_field_definition_v1' }));
  const def = new OperationFields();
  def.insert('name', 'str', name);
  def.insert('description', 'str', description);
  def.insert('fields', 'pinned_relation_list', views.map((v) => [v]));
  const viewId = await session.create(def, { schemaId: 'schema_definition_v1' });
  const schemaId = `${name}_${viewId}`;
  await until(url, `{ __type(name: "${schemaId}") { name } }`, (d) => d.__type?.name === schemaId, `schema ${name}`, pollMs);
  return schemaId;
}
