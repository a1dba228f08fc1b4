import { PGlite } from '@electric-sql/pglite';
for (let i=0;i<3;i++){
const t=Date.now();
const db = await PGlite.create();
console.log('create', Date.now()-t);
await db.close();
}
const db = await PGlite.create();
const dump = await db.dumpDataDir('none');
await db.close();
const t=Date.now();
const db2 = await PGlite.create({loadDataDir: dump});
console.log('from dump', Date.now()-t);
