"""The lab's Load-Inventory function, kept as it was: the baseline ingest is measured against.

What it did, step by step: print the event; take only the first record's bucket and key;
download the whole object to a local file; read it with ``csv.DictReader``; print every
row; and call PutItem once per row through the boto3 resource API, printing (and
otherwise ignoring) any error. The only change: the S3 resource, the table and the local
file name are passed in rather than created at import, so the benchmark can point them
at the emulator or at a stand-in.
"""

from __future__ import annotations

import csv
import json
import urllib.parse
from typing import Any


def lambda_handler(
    event: dict[str, Any],
    context: Any,  # noqa: ARG001 - Lambda's signature
    *,
    s3: Any,
    inventory_table: Any,
    local_filename: str = "/tmp/inventory.txt",
) -> str:
    # Show the incoming event in the debug log
    print("Event received by Lambda function: " + json.dumps(event, indent=2))

    # Get the bucket and object key from the event (the first record only)
    bucket = event["Records"][0]["s3"]["bucket"]["name"]
    key = urllib.parse.unquote_plus(event["Records"][0]["s3"]["object"]["key"])

    # Download the file from S3 to the local filesystem
    try:
        s3.meta.client.download_file(bucket, key, local_filename)
    except Exception as e:
        print(e)
        print(
            f"Error getting object {key} from bucket {bucket}. "
            "Make sure they exist and your bucket is in the same region as this function."
        )
        raise e

    # Read the Inventory CSV file
    with open(local_filename) as csvfile:
        reader = csv.DictReader(csvfile, delimiter=",")

        # Read each row in the file
        row_count = 0
        for row in reader:
            row_count += 1

            # Show the row in the debug log
            print(row["store"], row["item"], row["count"])

            try:
                # Insert Store, Item and Count into the Inventory table
                inventory_table.put_item(Item={"Store": row["store"], "Item": row["item"], "Count": int(row["count"])})
            except Exception as e:
                print(e)
                print("Unable to insert data into DynamoDB table")

        # Finished!
        return f"{row_count} counts inserted"
