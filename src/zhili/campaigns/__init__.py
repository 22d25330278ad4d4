"""三联工程: campaigns that send preset tasks to thousands of field staff and track every one."""
