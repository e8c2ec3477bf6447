/** MongoDB documents into normalized, validated PostgreSQL tables (own package: the `mongodb` driver stays out of the rest). */
export { defineDocumentMapping, isDocumentMapping, type DocumentMapping, type TableMapping, type ColumnDef, type ForeignKeyDef, type RowOrigin, type Row, type CellValue } from './mapping/define-document-mapping.ts'
export { numberText, numberValue, dateValue, digitsOf, idText } from './mapping/bson-values.ts'
export type { DocumentReader, DocumentReadOptions, SourceDocument } from './readers/document-reader.ts'
export { mongodbExportReader, type MongodbExportConfig } from './readers/mongodb-export-reader.ts'
export { mongodbReader, mongodbBatchSize, type MongodbConfig } from './readers/mongodb-reader.ts'
export { loadDocuments, defaultMaxRejectedRatio, defaultDocumentBatchSize, type LoadDocumentsOptions, type DocumentLoadSummary, type DocumentSourceToLoad } from './load-documents.ts'
export type { TableCounts } from './apply/apply-batch.ts'
export { createTablesSql } from './apply/table-sql.ts'
export { migrateDocuments } from './apply/document-state.ts'
export { Decimal128, Double, Int32, Long, ObjectId, EJSON, BSON } from 'bson'

/** A number as MongoDB may hold it: Decimal128, double, int32, int64 (or the JS number a reader promoted it to). */
export type BsonNumber = import('bson').Decimal128 | import('./mapping/bson-values.ts').DecimalText | import('bson').Double | import('bson').Int32 | import('bson').Long | number | bigint
