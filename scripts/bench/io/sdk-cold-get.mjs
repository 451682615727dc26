// The small-files scenario's floor for a plan: a fresh Node process that imports the AWS SDK, lists a
// prefix and GETs every object into memory, 16 in flight, as a plan must (a plan is a new process
// whose GETs all run cold). No DuckDB, no files written, no checks: any plan built on the SDK takes
// at least this long against the same server.
//   node sdk-cold-get.mjs ENDPOINT BUCKET PREFIX EXPECTED_COUNT
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

const [endpoint, bucket, prefix, expected] = process.argv.slice(2);
const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
const keys = [];
let token;
do {
  const page = await client.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
  );
  for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
  token = page.IsTruncated ? page.NextContinuationToken : undefined;
} while (token);
if (keys.length !== Number(expected)) throw new Error(`listed ${keys.length} keys, expected ${expected}`);
let next = 0;
const worker = async () => {
  for (let i = next++; i < keys.length; i = next++) {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: keys[i] }));
    await response.Body?.transformToByteArray();
  }
};
await Promise.all(Array.from({ length: 16 }, worker));
client.destroy();
