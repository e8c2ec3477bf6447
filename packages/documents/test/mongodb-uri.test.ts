import { describe, expect, it } from 'vitest'
import { EltError, ExitCode, describeError } from '@elt/core'
import { mongodbReader } from '../src/index.ts'

/** The driver parses the URI before any connection: a bad one is a configuration error, with no server needed. */
describe('mongodb source uri', () => {
  for (const uri of ['mongo://app:S3cret-pw@db.example.net:27017/', 'mongodb://app:S3cret-pw@db.example.net:27017/?replicaSet=rs0&readPreference=nowhere', 'mongodb://app:S3cret-pw@:27017/']) {
    it(`is refused clearly, exit 2, without the password: ${uri.replace('S3cret-pw', '…')}`, async () => {
      const read = mongodbReader.read({ kind: 'mongodb', uri, database: 'credito', collection: 'contratos_ccb' }, {})
      const error = await read[Symbol.asyncIterator]().next().then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(EltError)
      expect((error as EltError).exitCode).toBe(ExitCode.usage)
      const text = describeError(error)
      expect(text).toMatch(/The uri of the mongodb source is not a valid MongoDB connection string/)
      expect(text).not.toContain('S3cret-pw')
    })
  }
})
