// to be implemented
