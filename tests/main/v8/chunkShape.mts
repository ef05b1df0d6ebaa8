// Run by lineChunksShape.test.ts as `node --allow-natives-syntax --import tsx`: reads one file
// again and again, until V8 has optimized the reader, and prints how many hidden classes
// (V8 maps) its chunks had.
import { readRawLineChunks } from '../../../src/main/import/lineChunks'

const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: unknown, b: unknown) => boolean
const [path, rounds] = [process.argv[2]!, Number(process.argv[3])]
const maps: unknown[] = []
let chunks = 0
for (let r = 0; r < rounds; r++) {
  for await (const c of readRawLineChunks(path, { chunkBytes: 4096 })) {
    chunks++
    if (!maps.some((m) => sameMap(m, c))) maps.push(c)
  }
}
console.log(JSON.stringify({ chunks, maps: maps.length }))
