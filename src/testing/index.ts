// Virtual-time fakes for marble tests: to come (issue 3).
export {};
